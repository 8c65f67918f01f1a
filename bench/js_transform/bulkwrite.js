// js_transform benchmark, contender "bulkWrite": the same transformation over a cursor, with the
// updates sent by bulkWrite, 1000 documents at a time. Run unchanged by mongrate and by
// migrate-mongo.
//
// FerretDB v1 stops answering an `update` command of about 100 statements or more (it keeps each
// statement's query open, each on a connection of its SQLite pool of 100, until the command ends),
// and the Node.js driver sends a bulkWrite of 1000 updateOne as one command of 1000 statements. So
// each 1000 go out as bulkWrite calls of PER_CALL (50) operations: one `update` command of 50
// statements per call, in both tools (mongrate splits its own commands at 50 on FerretDB anyway).
const BATCH = 1000;
const PER_CALL = 50;

module.exports = {
  async up(db, client) {
    const users = db.collection('users');
    let ops = [];
    const flush = async () => {
      for (let start = 0; start < ops.length; start += PER_CALL) {
        await users.bulkWrite(ops.slice(start, start + PER_CALL));
      }
      ops = [];
    };
    for await (const user of users.find({ schema_version: 2 })) {
      const [first_name, ...last_name_parts] = user.name.split(' ');
      const last_name = last_name_parts.join(' ');
      ops.push({
        updateOne: {
          filter: { _id: user._id },
          update: { $set: { schema_version: 3, first_name, last_name, updated_at: new Date() }, $unset: { name: '' } },
        },
      });
      if (ops.length === BATCH) await flush();
    }
    await flush();
  },

  async down(db, client) {},
};
