//! What `mongrate create --format js` writes: migrate-mongo's template, with mongrate's notes.

/// A new JavaScript migration named `name`.
pub fn template(name: &str) -> String {
    let name = name.replace(['\n', '\r'], " ");
    let description = name.replace('\\', "\\\\").replace('\'', "\\'");
    format!(
        "// {name}\n\
         // Runs in mongrate's embedded JavaScript engine (no Node.js): `db` and `client` are the Node\n\
         // driver's, `require('mongodb')` gives ObjectId, Long, Decimal128, … . Without a down this\n\
         // migration is irreversible. `transaction: true` runs it in a transaction where the server\n\
         // has them (a replica set).\n\
         module.exports = {{\n  \
           description: '{description}',\n\n  \
           async up(db, client) {{\n    \
             // await db.collection('users').updateMany({{ schema_version: 1 }}, {{ $set: {{ schema_version: 2 }} }});\n  \
           }},\n\n  \
           async down(db, client) {{\n    \
             // await db.collection('users').updateMany({{ schema_version: 2 }}, {{ $set: {{ schema_version: 1 }} }});\n  \
           }},\n\
         }};\n"
    )
}
