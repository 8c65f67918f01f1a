//! What `mongrate create --format js` writes (migrate-mongo's template, with mongrate's notes), and
//! its TypeScript form for `--format ts`.

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

/// A new TypeScript migration named `name`: the same, typed.
pub fn typescript(name: &str) -> String {
    let name = name.replace(['\n', '\r'], " ");
    let description = name.replace('\\', "\\\\").replace('\'', "\\'");
    format!(
        "// {name}\n\
         // TypeScript run by mongrate's embedded engine (no Node.js, no tsc): types are stripped, not\n\
         // checked. `db` and `client` are the Node driver's; `import {{ ObjectId }} from 'mongodb'` gives\n\
         // ObjectId, Long, Decimal128, … . Without a down this migration is irreversible.\n\
         // `export const transaction = true` runs it in a transaction where the server has them.\n\
         import type {{ Db, MongoClient }} from 'mongodb';\n\
         \n\
         export const description = '{description}';\n\
         \n\
         export async function up(db: Db, client: MongoClient): Promise<void> {{\n  \
           // await db.collection('users').updateMany({{ schema_version: 1 }}, {{ $set: {{ schema_version: 2 }} }});\n\
         }}\n\
         \n\
         export async function down(db: Db, client: MongoClient): Promise<void> {{\n  \
           // await db.collection('users').updateMany({{ schema_version: 2 }}, {{ $set: {{ schema_version: 1 }} }});\n\
         }}\n"
    )
}
