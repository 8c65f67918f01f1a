// {{name}}
// Template index: an index on `email` in `users`, named `users_email`. Edit the collection, the
// keys and the options. An index that already exists is left alone, so running it again is
// harmless; the down drops it if it is there.
// For a unique index use MigrationHelper.createUniqueConstraint(COLLECTION, KEYS, OPTIONS): it
// refuses, naming the duplicate values and their _ids, before the server's index build would.
const { MigrationHelper } = require('mongrate');

const COLLECTION = 'users';
const KEYS = { email: 1 };
const OPTIONS = { name: 'users_email' };

module.exports = {
  description: {{description}},

  async up(db) {
    const collection = db.collection(COLLECTION);
    if ((await collection.indexes().catch(() => [])).some((index) => index.name === OPTIONS.name)) {
      console.log(`${COLLECTION} already has the index ${OPTIONS.name}`);
      return;
    }
    await MigrationHelper.createIndex(collection, KEYS, OPTIONS);
  },

  async down(db) {
    const collection = db.collection(COLLECTION);
    if ((await collection.indexes().catch(() => [])).some((index) => index.name === OPTIONS.name)) {
      await MigrationHelper.dropIndex(collection, OPTIONS.name);
    }
  },
};
