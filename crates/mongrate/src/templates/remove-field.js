// {{name}}
// Template remove-field: `fax` leaves every document of `users`. Its values are kept aside in
// `users_removed_fax` ({ _id, fax }), so the down puts them back exactly; drop that collection
// in a later migration once you are sure. Edit the collection and the field.
// Running it again, or after a crash, is harmless: a value is stored aside (an upsert) before it
// is removed, and documents without the field are not read again. Stop the code writing the field
// before this runs.
const { eachBatch } = require('mongrate');

const COLLECTION = 'users';
const FIELD = 'fax';
const KEPT = `${COLLECTION}_removed_${FIELD}`;

module.exports = {
  description: {{description}},
  // after the code that reads the field is gone: `mongrate up --phase expand` holds it back
  phase: 'contract',

  async up(db) {
    const kept = db.collection(KEPT);
    const totals = await eachBatch(COLLECTION, { filter: { [FIELD]: { $exists: true } }, projection: { [FIELD]: 1 }, batchSize: 1000 }, async (docs) => {
      // The documents as read ({ _id, fax }): written back whole, numbers keep their BSON types.
      await kept.bulkWrite(docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })));
      return docs.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $unset: { [FIELD]: '' } } } }));
    });
    console.log(`${FIELD} removed from ${totals.modified} documents of ${COLLECTION}; the values are in ${KEPT}`);
  },

  async down(db) {
    const users = db.collection(COLLECTION);
    await eachBatch(KEPT, { batchSize: 1000 }, async (docs) => {
      const ids = docs.map((doc) => doc._id);
      // `$set` of the kept document as read (without its _id) keeps the values' BSON types.
      await users.bulkWrite(docs.map((doc) => {
        const _id = doc._id;
        delete doc._id;
        return { updateOne: { filter: { _id }, update: { $set: doc } } };
      }));
      return ids.map((_id) => ({ deleteOne: { filter: { _id } } }));
    });
    await db.collection(KEPT).drop();
  },
};
