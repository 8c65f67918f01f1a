//! The scratch database `mongrate test` migrates instead of the real one:
//! `<database>_mongrate_test_<random>` on the same server, holding a copy of mongrate's
//! changelog (so the same migrations are pending there) and a sample of each collection the
//! tested migrations touch, with the collection's options (validator, collation, capped …) and
//! indexes. A declarative migration touches the collections its operations name; a JavaScript
//! migration (or a declarative `command`) may touch any, so then every collection is copied.
//!
//! The real database is only read. A `command` operation run against another database
//! (`database: admin`) could change the real one, so a migration with one is refused.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use bson::{Document, RawDocumentBuf, doc};
use futures_util::TryStreamExt;
use mongodb::{Client, Database};
use mongrate_core::config::ChangelogNames;
use mongrate_core::scratch::{Captured, Scratch, ScratchAddress, scratch_name};
use mongrate_core::{Error, Migration, Result};

use crate::connection::connect;
use crate::database_state::{CollectionInfo, OwnCollections, capture, list_collections, list_indexes};
use crate::declarative::DeclarativeMigration;
use crate::errors::{codes, server};
use crate::lease_store::LEASE_ID;
use crate::operation::Operation;

/// MongoDB refuses database names of 64 bytes or more.
const LONGEST_NAME: usize = 63;

/// Documents per insert while copying a sample.
const BATCH: usize = 500;

/// A scratch database and the database it copies.
pub struct MongoScratch {
    _client: Client,
    source: Database,
    scratch: Database,
    url: String,
    own: OwnCollections,
    sample: u64,
}

impl MongoScratch {
    /// Creates the scratch database with a copy of the changelog of `database` (the URL's when
    /// `None`). `sample` is the number of documents copied of each collection a migration touches.
    pub async fn create(
        url: &str,
        database: Option<&str>,
        names: &ChangelogNames,
        connect_timeout: Duration,
        sample: u64,
    ) -> Result<MongoScratch> {
        let (client, source_name, _) = connect(url, database, connect_timeout).await?;
        let source = client.database(&source_name);
        let scratch = client.database(&scratch_name(&source_name, LONGEST_NAME));
        let made = MongoScratch {
            _client: client,
            source,
            scratch,
            url: url.to_owned(),
            own: OwnCollections::new(names.clone()),
            sample,
        };
        if let Err(error) = made.copy_changelog(names).await {
            let _ = made.scratch.drop().await;
            return Err(error);
        }
        Ok(made)
    }

    /// The changelog whole, and the lock collection's `running` markers and checkpoints (not the
    /// lease): the plan on the copy is the plan on the database.
    async fn copy_changelog(&self, names: &ChangelogNames) -> Result<()> {
        self.copy_documents(&names.migrations, doc! {}, None).await?;
        self.copy_documents(&names.lock, doc! { "_id": { "$ne": LEASE_ID } }, None).await?;
        Ok(())
    }

    /// Copies the documents of `collection` that match `filter` (at most `limit`, in `_id`
    /// order), bypassing validation: the copy holds what the database holds.
    async fn copy_documents(&self, collection: &str, filter: Document, limit: Option<u64>) -> Result<u64> {
        let doing = format!("copying {collection} to the scratch database");
        let source = self.source.collection::<RawDocumentBuf>(collection);
        // No limit: `limit(0)` is none.
        let limit = limit.map_or(0, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let mut cursor =
            source.find(filter).sort(doc! { "_id": 1 }).limit(limit).await.map_err(|e| server(&doing, &e))?;
        let target = self.scratch.collection::<RawDocumentBuf>(collection);
        let (mut batch, mut copied) = (Vec::with_capacity(BATCH), 0);
        loop {
            let next = cursor.try_next().await.map_err(|e| server(&doing, &e))?;
            if (next.is_none() || batch.len() >= BATCH) && !batch.is_empty() {
                let documents = std::mem::take(&mut batch);
                target.insert_many(documents).bypass_document_validation(true).await.map_err(|e| server(&doing, &e))?;
            }
            let Some(document) = next else { break };
            copied += 1;
            batch.push(document);
        }
        Ok(copied)
    }

    /// The collections the migrations may touch: `None` for every collection.
    fn touched(&self, migrations: &[Migration]) -> Result<Option<BTreeSet<String>>> {
        let mut touched = BTreeSet::new();
        for migration in migrations {
            let file = &migration.file;
            if !matches!(file.extension.as_str(), "yaml" | "yml" | "json") {
                // A program may reach any collection.
                return Ok(None);
            }
            let parsed = DeclarativeMigration::parse(file)?;
            let mut any = false;
            for operation in parsed.up.iter().chain(parsed.down.iter().flatten()) {
                if let Operation::Command(command) = operation
                    && let Some(database) = &command.database
                {
                    return Err(Error::refused(format!(
                        "{}: a `command` runs against database {database}: `mongrate test` migrates a scratch \
                         database and would change {database} for real; test this migration by hand",
                        file.path.display()
                    )));
                }
                match operation.touched_collections() {
                    Some(collections) => touched.extend(collections),
                    None => any = true,
                }
            }
            if any {
                return Ok(None);
            }
        }
        Ok(Some(touched))
    }

    /// Creates `info` in the scratch database as it is in the real one, with its indexes and a
    /// sample of its documents; returns the documents copied.
    async fn copy_collection(&self, info: &CollectionInfo) -> Result<u64> {
        let name = &info.name;
        let mut create = doc! { "create": name };
        create.extend(info.options.clone());
        self.scratch
            .run_command(create)
            .await
            .map_err(|e| server(&format!("creating {name} in the scratch database"), &e))?;
        if !info.has_documents() {
            return Ok(0);
        }
        let copied = self.copy_documents(name, doc! {}, Some(self.sample)).await?;
        let specs: Vec<Document> = list_indexes(&self.source, name)
            .await?
            .into_values()
            .filter(|s| s.get_str("name").is_ok_and(|n| n != "_id_"))
            .collect();
        if specs.is_empty() {
            return Ok(copied);
        }
        let doing = format!("creating the indexes of {name} in the scratch database");
        let command = doc! { "createIndexes": name, "indexes": specs.clone() };
        if let Err(error) = self.scratch.run_command(command).await {
            // A clustered or special index the server lists but will not take back as listed.
            if !codes(&error).iter().any(|code| [2, 67, 197].contains(code)) {
                return Err(server(&doing, &error));
            }
            for spec in specs {
                let one = doc! { "createIndexes": name, "indexes": [spec] };
                self.scratch.run_command(one).await.map_err(|e| server(&doing, &e))?;
            }
        }
        Ok(copied)
    }
}

#[async_trait]
impl Scratch for MongoScratch {
    fn describe(&self) -> String {
        format!("database {} (a sample of {})", self.scratch.name(), self.source.name())
    }

    fn address(&self) -> ScratchAddress {
        ScratchAddress { url: self.url.clone(), database: Some(self.scratch.name().to_owned()) }
    }

    async fn seed(&self, migrations: &[Migration]) -> Result<Option<String>> {
        let touched = self.touched(migrations)?;
        let existing = list_collections(&self.source, &self.own).await?;
        let chosen: Vec<&CollectionInfo> =
            existing.iter().filter(|c| touched.as_ref().is_none_or(|t| t.contains(&c.name))).collect();
        if chosen.is_empty() {
            return Ok(None);
        }
        let mut copied = Vec::with_capacity(chosen.len());
        // Collections first, then views (a view names its collection, which then exists).
        let (views, collections): (Vec<_>, Vec<_>) = chosen.into_iter().partition(|c| !c.has_documents());
        for info in collections.iter().chain(&views) {
            let documents = self.copy_collection(info).await?;
            copied.push(if info.has_documents() {
                format!("{} ({documents})", info.name)
            } else {
                format!("{} (a view)", info.name)
            });
        }
        let scope = if touched.is_none() { "every collection" } else { "the collections the migrations touch" };
        Ok(Some(format!("copied {scope}, at most {} documents of each: {}", self.sample, copied.join(", "))))
    }

    async fn capture(&self) -> Result<Box<dyn Captured>> {
        Ok(Box::new(capture(&self.scratch, &self.own).await?))
    }

    async fn discard(self: Box<Self>) -> Result<()> {
        let name = self.scratch.name().to_owned();
        self.scratch.drop().await.map_err(|e| server(&format!("dropping the scratch database {name}"), &e))
    }
}
