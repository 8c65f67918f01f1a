// js_transform benchmark, contenders "eachBatch": the same transformation with mongrate's resumable
// batch loop, 1000 documents a batch as the floor's, checkpointed after every batch (on FerretDB,
// without transactions, each batch is first named pending with its documents' fingerprints).
// mongrate only. js_transform.sh copies this file with its two settings replaced:
//
//   CONCURRENCY   batches whose writes may be in flight at once (mongrate-eachbatch-c2: 2)
//   COUNT_PASSES  the resume measurement: each update also adds 1 to `passes` and sets `pass_run`
//                 to this run's start time, so that the data shows which run wrote each document
//                 and whether one was written twice
const { eachBatch } = require('mongrate');

const CONCURRENCY = 1;
const COUNT_PASSES = false;
const RUN = Date.now();

module.exports = {
  async up(db) {
    const options = { filter: { schema_version: 2 }, batchSize: 1000, concurrency: CONCURRENCY };
    await eachBatch(db.collection('users'), options, (users) => users.map((user) => {
      const [first_name, ...last_name_parts] = user.name.split(' ');
      const last_name = last_name_parts.join(' ');
      const update = { $set: { schema_version: 3, first_name, last_name, updated_at: new Date() }, $unset: { name: '' } };
      if (COUNT_PASSES) {
        update.$set.pass_run = RUN;
        update.$inc = { passes: 1 };
      }
      return { updateOne: { filter: { _id: user._id }, update } };
    }));
  },

  async down(db) {},
};
