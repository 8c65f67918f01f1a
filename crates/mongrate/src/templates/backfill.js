// {{name}}
// Template backfill: fills a new field `displayName` in `users`, computed from `name`, for
// documents that have a name and no displayName yet. Edit the collection, the fields, the filter
// and `valueOf`.
// A batch at a time in _id order: only the documents without the field are read, so running it
// again, or after a crash or a kill, carries on with the ones still missing it. The down removes
// the field from every document, so backfill a field that is new.
const { eachBatch, MigrationHelper } = require('mongrate');

const COLLECTION = 'users';
const FIELD = 'displayName';
const FILTER = { name: { $type: 'string' }, [FIELD]: { $exists: false } };

// The new field's value for one document (only the projected fields are there).
const valueOf = (doc) => doc.name.trim().replace(/\s+/g, ' ');

module.exports = {
  description: {{description}},
  // data moves while old and new code both run
  phase: 'migrate',

  async up(db) {
    // pauseMs / maxPerSecond keep the load down on a busy server.
    const totals = await eachBatch(COLLECTION, { filter: FILTER, projection: { name: 1 }, batchSize: 1000, pauseMs: 0 }, (docs) =>
      docs.map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $set: { [FIELD]: valueOf(doc) } } } })));
    console.log(`${FIELD} filled in ${totals.modified} documents of ${COLLECTION}`);
  },

  async down(db) {
    await MigrationHelper.removeField(COLLECTION, FIELD);
  },
};
