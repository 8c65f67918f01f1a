// {{name}}
// Template transform: rewrites documents in JavaScript, a batch at a time, in _id order. The
// example splits `name` ("Ada Lovelace") into `firstName` ("Ada") and `lastName` ("Lovelace", or
// null for a single word) in `users`. Edit the collection, the filter and the two functions.
//
// Resumable and idempotent: each document changes in one update (it is never half done), and the
// filter matches only documents not yet transformed, so running it again, or after a crash or a
// kill, carries on with what is left. Keep that property when you edit: the filter must stop
// matching a document once it is transformed. `down` must undo `up` exactly; here the split is
// reversible because the first name is cut at the first space.
// No transaction is needed (none is used), so it also runs on servers without them.
const { eachBatch } = require('mongrate');

const COLLECTION = 'users';

// One document before → the update that transforms it (or null to leave it alone).
function forward(doc) {
  const space = doc.name.indexOf(' ');
  const firstName = space < 0 ? doc.name : doc.name.slice(0, space);
  const lastName = space < 0 ? null : doc.name.slice(space + 1);
  return { $set: { firstName, lastName }, $unset: { name: '' } };
}

// One transformed document → the update that restores it.
function backward(doc) {
  const name = doc.lastName === null ? doc.firstName : `${doc.firstName} ${doc.lastName}`;
  return { $set: { name }, $unset: { firstName: '', lastName: '' } };
}

// Runs `change` over the documents matching `filter`; batchSize, pauseMs and maxPerSecond keep
// the load on the server down (e.g. pauseMs: 100 between batches, maxPerSecond: 2000).
async function rewrite(filter, change) {
  return eachBatch(COLLECTION, { filter, batchSize: 500, pauseMs: 0 }, (docs) => docs
    .map((doc) => ({ doc, update: change(doc) }))
    .filter(({ update }) => update !== null)
    .map(({ doc, update }) => ({ updateOne: { filter: { _id: doc._id }, update } })));
}

module.exports = {
  description: {{description}},

  async up(db) {
    const totals = await rewrite({ name: { $type: 'string' } }, forward);
    console.log(`${totals.modified} of ${totals.processed} documents of ${COLLECTION} transformed`);
  },

  async down(db) {
    await rewrite({ firstName: { $type: 'string' }, lastName: { $exists: true }, name: { $exists: false } }, backward);
  },
};
