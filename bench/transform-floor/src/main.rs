//! The floor of `bench/js_transform.sh`: what the users transformation costs with no migration tool
//! and no JavaScript, only the Rust MongoDB driver.
//!
//! ```text
//! transform-floor URI DB [PER_COMMAND]
//! ```
//!
//! Like the benchmark's `bulkwrite.js`: one cursor over `users.find({schema_version: 2})`; every
//! 1000 documents read, their updates (`$set: {schema_version: 3, first_name, last_name,
//! updated_at}, $unset: {name: ""}` by `_id`) go out as `update` commands of PER_COMMAND (50)
//! statements each (FerretDB v1 stops answering an `update` of about 100 statements or more).
//! Fails unless every document read was matched and modified.

use bson::{DateTime, Document, doc};
use futures_util::TryStreamExt;
use mongodb::{Client, Database};

const BATCH: usize = 1000;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The update statement of one user: `name` split at its first space (as
/// `const [first, ...rest] = name.split(' '); rest.join(' ')` in JavaScript).
fn statement(user: &Document) -> Result<Document> {
    let id = user.get("_id").ok_or("a user without _id")?.clone();
    let name = user.get_str("name").map_err(|e| format!("user {id}: {e}"))?;
    let (first_name, last_name) = name.split_once(' ').unwrap_or((name, ""));
    Ok(doc! {
        "q": { "_id": id },
        "u": {
            "$set": { "schema_version": 3, "first_name": first_name, "last_name": last_name, "updated_at": DateTime::now() },
            "$unset": { "name": "" },
        },
    })
}

/// Sends the updates of one batch of users, PER_COMMAND statements per `update` command; returns
/// how many documents were modified.
async fn flush(db: &Database, users: &[Document], per_command: usize) -> Result<u64> {
    let mut modified = 0;
    for chunk in users.chunks(per_command) {
        let updates = chunk.iter().map(statement).collect::<Result<Vec<_>>>()?;
        let reply = db.run_command(doc! { "update": "users", "updates": updates, "ordered": true }).await?;
        if let Ok(errors) = reply.get_array("writeErrors")
            && !errors.is_empty()
        {
            return Err(format!("update failed: {errors:?}").into());
        }
        let n = number(&reply, "n")?;
        let n_modified = number(&reply, "nModified")?;
        if n != chunk.len() as u64 || n_modified != chunk.len() as u64 {
            return Err(format!("{} statements, n = {n}, nModified = {n_modified}", chunk.len()).into());
        }
        modified += n_modified;
    }
    Ok(modified)
}

fn number(reply: &Document, key: &str) -> Result<u64> {
    match reply.get(key) {
        Some(bson::Bson::Int32(n)) => Ok(*n as u64),
        Some(bson::Bson::Int64(n)) => Ok(*n as u64),
        Some(bson::Bson::Double(n)) => Ok(*n as u64),
        other => Err(format!("reply without a number `{key}`: {other:?}").into()),
    }
}

async fn run(uri: &str, db_name: &str, per_command: usize) -> Result<()> {
    let client = Client::with_uri_str(uri).await?;
    let db = client.database(db_name);
    let mut cursor = db.collection::<Document>("users").find(doc! { "schema_version": 2 }).await?;
    let mut batch = Vec::with_capacity(BATCH);
    let (mut read, mut modified) = (0u64, 0u64);
    while let Some(user) = cursor.try_next().await? {
        batch.push(user);
        if batch.len() == BATCH {
            read += batch.len() as u64;
            modified += flush(&db, &batch, per_command).await?;
            batch.clear();
        }
    }
    read += batch.len() as u64;
    modified += flush(&db, &batch, per_command).await?;
    if read != modified {
        return Err(format!("read {read} users but modified {modified}").into());
    }
    println!("transformed {modified} users");
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(3..=4).contains(&args.len()) {
        eprintln!("usage: transform-floor URI DB [PER_COMMAND]");
        std::process::exit(2);
    }
    let per_command = match args.get(3).map(|s| s.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            eprintln!("PER_COMMAND must be a number of 1 or more");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    if let Err(error) = runtime.block_on(run(&args[1], &args[2], per_command)) {
        eprintln!("transform-floor: {error}");
        std::process::exit(1);
    }
}
