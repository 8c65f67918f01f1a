// {{name}}
// Template schema-change: moves the documents of `users` from schema_version 1 to 2. Version 2
// calls `phone` `phoneNumber` and has `preferences`. Edit the collection, the versions and the two
// functions; documents with no schema_version are not touched (give them one first).
//
// Each document changes in one update that also sets its new version, so every document is whole
// at one version or the other, even after a crash; running it again carries on with the documents
// still at version 1. Deploy code that reads both versions before this runs.
const { eachBatch } = require('mongrate');

const COLLECTION = 'users';
const FROM = 1;
const TO = 2;

// A version-1 document → the update that makes it version 2.
function upgrade(doc) {
  const update = { $set: { schema_version: TO } };
  if (doc.phone !== undefined) update.$rename = { phone: 'phoneNumber' };
  if (doc.preferences === undefined) update.$set.preferences = { theme: 'light', notifications: true };
  return update;
}

// A version-2 document → the update that makes it version 1 again.
function downgrade(doc) {
  const update = { $set: { schema_version: FROM }, $unset: { preferences: '' } };
  if (doc.phoneNumber !== undefined) update.$rename = { phoneNumber: 'phone' };
  return update;
}

async function migrate(from, change) {
  return eachBatch(COLLECTION, { filter: { schema_version: from }, batchSize: 500 }, (docs) =>
    docs.map((doc) => ({ updateOne: { filter: { _id: doc._id, schema_version: from }, update: change(doc) } })));
}

module.exports = {
  description: {{description}},

  async up(db) {
    const totals = await migrate(FROM, upgrade);
    console.log(`${totals.modified} documents of ${COLLECTION} moved to schema_version ${TO}`);
  },

  async down(db) {
    await migrate(TO, downgrade);
  },
};
