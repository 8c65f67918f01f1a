// {{name}}
// Template add-field: every document of `users` that has no `preferences` gets the default below.
// Edit the collection, the field and the value. Running it again, or after a crash, is harmless:
// addField only touches documents without the field, an _id range at a time on the server. The
// down removes the field from every document, so use this for a field that is new.
const { MigrationHelper } = require('mongrate');

const COLLECTION = 'users';
const FIELD = 'preferences';
const DEFAULT = { theme: 'light', notifications: true };

module.exports = {
  description: {{description}},

  async up(db) {
    // Options: { filter: { status: 'active' }, batchSize: 1000, pauseMs: 0, maxPerSecond: … }
    const result = await MigrationHelper.addField(COLLECTION, FIELD, DEFAULT);
    console.log(`${FIELD} added to ${result.modified} documents of ${COLLECTION}`);
  },

  async down(db) {
    await MigrationHelper.removeField(COLLECTION, FIELD);
  },
};
