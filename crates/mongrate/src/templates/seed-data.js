// {{name}}
// Template seed-data: puts fixed documents into `treatments`. Edit the collection and the
// documents; keep an `_id` on each (it is what makes the seed repeatable and reversible).
// Running it again, or after a crash, is harmless: a document is only inserted where its `_id` is
// missing (an upsert), so edits made to it since are kept. The down deletes the seed's documents,
// and the collection too when the seed created it (nothing else in it, no index of its own).
const COLLECTION = 'treatments';
const DOCUMENTS = [
  { _id: 'initial-consultation', name: 'Initial Consultation', duration: 60, price: 150 },
  { _id: 'follow-up', name: 'Follow-up', duration: 30, price: 75 },
];

module.exports = {
  description: {{description}},

  async up(db) {
    const result = await db.collection(COLLECTION).bulkWrite(DOCUMENTS.map((doc) => ({
      updateOne: { filter: { _id: doc._id }, update: { $setOnInsert: doc }, upsert: true },
    })));
    console.log(`${result.upsertedCount} documents inserted into ${COLLECTION}, ${DOCUMENTS.length - result.upsertedCount} were there`);
  },

  async down(db) {
    const collection = db.collection(COLLECTION);
    await collection.deleteMany({ _id: { $in: DOCUMENTS.map((doc) => doc._id) } });
    if ((await collection.countDocuments({})) === 0 && (await collection.indexes().catch(() => [])).length <= 1) {
      await collection.drop();
    }
  },
};
