// {{name}}
// Template rename-field: `phone` becomes `phoneNumber` in every document of `users` that has it.
// Edit the collection and the two names. Running it again, or after a crash, is harmless: only
// documents that still have the old name are touched. Ship code that reads both names before this
// runs, and remove the old name afterwards.
const { MigrationHelper } = require('mongrate');

const COLLECTION = 'users';
const FROM = 'phone';
const TO = 'phoneNumber';

module.exports = {
  description: {{description}},

  async up(db) {
    const result = await MigrationHelper.renameField(COLLECTION, FROM, TO);
    console.log(`${FROM} renamed to ${TO} in ${result.modified} documents of ${COLLECTION}`);
  },

  async down(db) {
    await MigrationHelper.renameField(COLLECTION, TO, FROM);
  },
};
