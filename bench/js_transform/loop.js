// js_transform benchmark, contender "loop": the seed example's migration as it is written (the
// whole collection read with toArray, then one updateOne per document). Run unchanged by mongrate
// and by migrate-mongo.
module.exports = {
  async up(db, client) {
    const users = await db.collection('users').find({ schema_version: 2 }).toArray();
    for (const user of users) {
      const [first_name, ...last_name_parts] = user.name.split(' ');
      const last_name = last_name_parts.join(' ');
      await db.collection('users').updateOne(
        { _id: user._id },
        { $set: { schema_version: 3, first_name, last_name, updated_at: new Date() }, $unset: { name: '' } },
      );
    }
  },

  async down(db, client) {},
};
