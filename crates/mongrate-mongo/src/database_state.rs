//! The state of a MongoDB database as `mongrate test` compares it before a migration and after
//! its revert: each collection's kind and options (the validator among them), its indexes, and
//! its documents with their BSON types. mongrate's own collections (changelog, history, lock,
//! backups) are left out.
//!
//! The documents are written to a temporary file in `_id` order as they are read, and compared
//! with the database the same way, one document at a time: memory stays flat however many
//! documents a collection holds.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use async_trait::async_trait;
use bson::{Bson, Document, RawDocumentBuf, doc};
use futures_util::TryStreamExt;
use mongodb::Database;
use mongrate_core::config::ChangelogNames;
use mongrate_core::scratch::{ABSENT, Captured, Difference};
use mongrate_core::{Error, Result};

use crate::document_difference::{first_field_difference, same_document, shown, shown_with_type};
use crate::errors::server;

/// Collections `mongrate test` neither copies nor compares: mongrate's own and the server's.
#[derive(Debug, Clone)]
pub struct OwnCollections {
    names: ChangelogNames,
}

impl OwnCollections {
    pub fn new(names: ChangelogNames) -> OwnCollections {
        OwnCollections { names }
    }

    pub fn contains(&self, collection: &str) -> bool {
        let n = &self.names;
        collection.starts_with("system.")
            || collection.starts_with("mongrate_")
            || [&n.migrations, &n.history, &n.lock, &n.backups].iter().any(|own| *own == collection)
    }
}

/// A collection as `listCollections` describes it.
#[derive(Debug, Clone)]
pub struct CollectionInfo {
    pub name: String,
    /// `collection`, `view` or `timeseries`.
    pub kind: String,
    pub options: Document,
}

impl CollectionInfo {
    /// Whether it holds documents of its own (a view does not).
    pub fn has_documents(&self) -> bool {
        self.kind != "view"
    }
}

/// Every collection of `db` but `own`, by name.
pub async fn list_collections(db: &Database, own: &OwnCollections) -> Result<Vec<CollectionInfo>> {
    let doing = format!("listing the collections of {}", db.name());
    let mut cursor = db.run_cursor_command(doc! { "listCollections": 1 }).await.map_err(|e| server(&doing, &e))?;
    let mut collections = Vec::new();
    while cursor.advance().await.map_err(|e| server(&doing, &e))? {
        let info: Document = cursor.deserialize_current().map_err(|e| server(&doing, &e))?;
        let Ok(name) = info.get_str("name") else { continue };
        if own.contains(name) {
            continue;
        }
        collections.push(CollectionInfo {
            name: name.to_owned(),
            kind: info.get_str("type").unwrap_or("collection").to_owned(),
            options: info.get_document("options").cloned().unwrap_or_default(),
        });
    }
    collections.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(collections)
}

/// The index specifications of a collection by name, without what the server adds by itself
/// (`v`, `ns`).
pub async fn list_indexes(db: &Database, collection: &str) -> Result<BTreeMap<String, Document>> {
    let doing = format!("reading the indexes of {collection}");
    let mut cursor = db.run_cursor_command(doc! { "listIndexes": collection }).await.map_err(|e| server(&doing, &e))?;
    let mut indexes = BTreeMap::new();
    while cursor.advance().await.map_err(|e| server(&doing, &e))? {
        let mut spec: Document = cursor.deserialize_current().map_err(|e| server(&doing, &e))?;
        spec.remove("v");
        spec.remove("ns");
        let name = spec.get_str("name").unwrap_or_default().to_owned();
        indexes.insert(name, spec);
    }
    Ok(indexes)
}

/// One collection as captured.
struct CollectionState {
    info: CollectionInfo,
    indexes: BTreeMap<String, Document>,
    /// The file of its documents in `_id` order; none for a view.
    documents: Option<PathBuf>,
    count: u64,
}

/// A database's state, its documents in temporary files (removed when it is dropped).
pub struct MongoState {
    db: Database,
    own: OwnCollections,
    collections: Vec<CollectionState>,
    _files: tempfile::TempDir,
}

/// Reads the state of `db`.
pub async fn capture(db: &Database, own: &OwnCollections) -> Result<MongoState> {
    let files = tempfile::Builder::new()
        .prefix("mongrate-test-")
        .tempdir()
        .map_err(|e| Error::database(format!("creating a temporary folder for the captured documents: {e}")))?;
    let mut collections = Vec::new();
    for (n, info) in list_collections(db, own).await?.into_iter().enumerate() {
        if !info.has_documents() {
            collections.push(CollectionState { info, indexes: BTreeMap::new(), documents: None, count: 0 });
            continue;
        }
        let indexes = list_indexes(db, &info.name).await?;
        let path = files.path().join(format!("{n}.bson"));
        let count = write_documents(db, &info.name, &path).await?;
        collections.push(CollectionState { info, indexes, documents: Some(path), count });
    }
    Ok(MongoState { db: db.clone(), own: own.clone(), collections, _files: files })
}

/// The documents of `collection` in `_id` order, as they are on the wire.
async fn ordered(db: &Database, collection: &str) -> Result<mongodb::Cursor<RawDocumentBuf>> {
    db.collection::<RawDocumentBuf>(collection)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .map_err(|e| server(&format!("reading {collection}"), &e))
}

async fn write_documents(db: &Database, collection: &str, path: &PathBuf) -> Result<u64> {
    let file_error = |e: std::io::Error| Error::database(format!("writing the documents of {collection} aside: {e}"));
    let mut out = BufWriter::new(File::create(path).map_err(file_error)?);
    let mut cursor = ordered(db, collection).await?;
    let mut count = 0;
    while let Some(document) = cursor.try_next().await.map_err(|e| server(&format!("reading {collection}"), &e))? {
        out.write_all(document.as_bytes()).map_err(file_error)?;
        count += 1;
    }
    out.flush().map_err(file_error)?;
    Ok(count)
}

/// Reads back the documents [`write_documents`] wrote, one at a time.
struct DocumentFile {
    input: BufReader<File>,
    collection: String,
}

impl DocumentFile {
    fn open(path: &PathBuf, collection: &str) -> Result<DocumentFile> {
        let file = File::open(path)
            .map_err(|e| Error::database(format!("reading the captured documents of {collection}: {e}")))?;
        Ok(DocumentFile { input: BufReader::new(file), collection: collection.to_owned() })
    }

    fn next(&mut self) -> Result<Option<Document>> {
        let broken =
            |why: String| Error::database(format!("reading the captured documents of {}: {why}", self.collection));
        let mut length = [0_u8; 4];
        match self.input.read_exact(&mut length) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(broken(e.to_string())),
        }
        let size = usize::try_from(i32::from_le_bytes(length)).map_err(|_| broken("a negative length".into()))?;
        let mut bytes = length.to_vec();
        bytes.resize(size.max(4), 0);
        self.input.read_exact(&mut bytes[4..]).map_err(|e| broken(e.to_string()))?;
        let raw = RawDocumentBuf::from_bytes(bytes).map_err(|e| broken(crate::errors::describe_bson(&e)))?;
        Document::try_from(raw).map(Some).map_err(|e| broken(crate::errors::describe_bson(&e)))
    }
}

fn decode(raw: RawDocumentBuf, collection: &str) -> Result<Document> {
    Document::try_from(raw).map_err(|e| {
        Error::database(format!("reading a document of {collection}: {}", crate::errors::describe_bson(&e)))
    })
}

fn kind_of(info: &CollectionInfo, count: u64) -> String {
    match info.kind.as_str() {
        "view" => "a view".to_owned(),
        kind => format!("a {kind} of {count} document{}", if count == 1 { "" } else { "s" }),
    }
}

#[async_trait]
impl Captured for MongoState {
    async fn first_difference(&self) -> Result<Option<Difference>> {
        let now: BTreeMap<String, CollectionInfo> =
            list_collections(&self.db, &self.own).await?.into_iter().map(|c| (c.name.clone(), c)).collect();
        let before: BTreeMap<&str, &CollectionState> =
            self.collections.iter().map(|c| (c.info.name.as_str(), c)).collect();
        for (name, state) in &before {
            if !now.contains_key(*name) {
                let location = format!("collection {name}");
                return Ok(Some(Difference::new(location, kind_of(&state.info, state.count), ABSENT)));
            }
        }
        for (name, info) in &now {
            if !before.contains_key(name.as_str()) {
                let count = if info.has_documents() {
                    self.db.collection::<Document>(name).count_documents(doc! {}).await.unwrap_or(0)
                } else {
                    0
                };
                return Ok(Some(Difference::new(format!("collection {name}"), ABSENT, kind_of(info, count))));
            }
        }
        for state in &self.collections {
            if let Some(difference) = self.collection_difference(state, &now[&state.info.name]).await? {
                return Ok(Some(difference));
            }
        }
        Ok(None)
    }
}

impl MongoState {
    async fn collection_difference(&self, state: &CollectionState, now: &CollectionInfo) -> Result<Option<Difference>> {
        let name = &state.info.name;
        if state.info.kind != now.kind {
            return Ok(Some(Difference::new(format!("collection {name}"), &state.info.kind, &now.kind)));
        }
        if let Some(field) = first_field_difference(&state.info.options, &now.options) {
            return Ok(Some(Difference::new(
                format!("collection {name} option {}", field.path),
                shown_with_type(field.before.as_ref()),
                shown_with_type(field.after.as_ref()),
            )));
        }
        let Some(path) = &state.documents else { return Ok(None) };
        if let Some(difference) = index_difference(name, &state.indexes, &list_indexes(&self.db, name).await?) {
            return Ok(Some(difference));
        }
        self.document_difference(name, path).await
    }

    /// The documents captured and the documents now, side by side in `_id` order.
    async fn document_difference(&self, collection: &str, path: &PathBuf) -> Result<Option<Difference>> {
        let mut captured = DocumentFile::open(path, collection)?;
        let mut cursor = ordered(&self.db, collection).await?;
        loop {
            let before = captured.next()?;
            let after = cursor.try_next().await.map_err(|e| server(&format!("reading {collection}"), &e))?;
            let after = after.map(|raw| decode(raw, collection)).transpose()?;
            match (before, after) {
                (None, None) => return Ok(None),
                (Some(before), None) => return Ok(Some(missing(collection, &before))),
                (None, Some(after)) => return Ok(Some(added(collection, &after))),
                (Some(before), Some(after)) => {
                    let (old_id, new_id) = (id_of(&before), id_of(&after));
                    if same_document(&doc! { "_id": old_id.clone() }, &doc! { "_id": new_id }) {
                        if let Some(field) = first_field_difference(&before, &after) {
                            return Ok(Some(Difference::new(
                                format!("{collection} _id={} field {}", shown(&old_id), field.path),
                                shown_with_type(field.before.as_ref()),
                                shown_with_type(field.after.as_ref()),
                            )));
                        }
                        continue;
                    }
                    // In `_id` order one of them has no counterpart: the earlier one.
                    let still_there = self
                        .db
                        .collection::<Document>(collection)
                        .count_documents(doc! { "_id": old_id })
                        .await
                        .map_err(|e| server(&format!("reading {collection}"), &e))?;
                    return Ok(Some(if still_there == 0 {
                        missing(collection, &before)
                    } else {
                        added(collection, &after)
                    }));
                }
            }
        }
    }
}

fn id_of(document: &Document) -> Bson {
    document.get("_id").cloned().unwrap_or(Bson::Null)
}

fn whole(document: &Document) -> String {
    shown(&Bson::Document(document.clone()))
}

fn missing(collection: &str, before: &Document) -> Difference {
    Difference::new(format!("{collection} _id={}", shown(&id_of(before))), whole(before), ABSENT)
}

fn added(collection: &str, after: &Document) -> Difference {
    Difference::new(format!("{collection} _id={}", shown(&id_of(after))), ABSENT, whole(after))
}

/// The first index that is gone, new, or defined otherwise.
pub fn index_difference(
    collection: &str,
    before: &BTreeMap<String, Document>,
    after: &BTreeMap<String, Document>,
) -> Option<Difference> {
    let spec = |spec: &Document| shown(&Bson::Document(spec.clone()));
    for (name, old) in before {
        let location = format!("index {name} of {collection}");
        match after.get(name) {
            None => return Some(Difference::new(location, spec(old), ABSENT)),
            Some(new) => {
                if let Some(field) = first_field_difference(old, new) {
                    return Some(Difference::new(
                        format!("{location} field {}", field.path),
                        shown_with_type(field.before.as_ref()),
                        shown_with_type(field.after.as_ref()),
                    ));
                }
            }
        }
    }
    after
        .iter()
        .find(|(name, _)| !before.contains_key(*name))
        .map(|(name, new)| Difference::new(format!("index {name} of {collection}"), ABSENT, spec(new)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexes(specs: &[Document]) -> BTreeMap<String, Document> {
        specs.iter().map(|s| (s.get_str("name").unwrap().to_owned(), s.clone())).collect()
    }

    #[test]
    fn index_differences_name_the_index() {
        let id = doc! { "key": { "_id": 1 }, "name": "_id_" };
        let email = doc! { "key": { "email": 1 }, "name": "email_1", "unique": true };
        let before = indexes(&[id.clone(), email.clone()]);
        assert_eq!(index_difference("users", &before, &before), None);
        let gone = index_difference("users", &before, &indexes(std::slice::from_ref(&id))).unwrap();
        assert_eq!(gone.location, "index email_1 of users");
        assert_eq!(gone.after, "absent");
        let not_unique = doc! { "key": { "email": 1 }, "name": "email_1" };
        let changed = index_difference("users", &before, &indexes(&[id.clone(), not_unique])).unwrap();
        assert_eq!(changed.to_string(), "index email_1 of users field unique: before true (bool), after absent");
        let added = index_difference("users", &indexes(std::slice::from_ref(&id)), &before).unwrap();
        assert_eq!((added.location.as_str(), added.before.as_str()), ("index email_1 of users", "absent"));
    }

    #[test]
    fn mongrates_own_collections_are_left_out() {
        let own = OwnCollections::new(ChangelogNames { migrations: "changes".into(), ..ChangelogNames::default() });
        for name in ["changes", "mongrate_history", "mongrate_backup_users_20250101", "system.views"] {
            assert!(own.contains(name), "{name}");
        }
        assert!(!own.contains("users"));
    }

    #[test]
    fn a_captured_file_reads_back_document_by_document() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bson");
        let documents = [doc! { "_id": 1, "a": "x" }, doc! { "_id": 2, "n": 1.5, "d": { "k": [1, 2] } }];
        let mut out = File::create(&path).unwrap();
        for document in &documents {
            out.write_all(RawDocumentBuf::try_from(document).unwrap().as_bytes()).unwrap();
        }
        drop(out);
        let mut file = DocumentFile::open(&path, "c").unwrap();
        assert_eq!(file.next().unwrap().as_ref(), Some(&documents[0]));
        assert_eq!(file.next().unwrap().as_ref(), Some(&documents[1]));
        assert_eq!(file.next().unwrap(), None);
    }
}
