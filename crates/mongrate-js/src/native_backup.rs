//! Seed 003's `backupCollection`, `restoreFromBackup` and `dropBackup`: mongrate's own backups
//! (`MongoBackups`: a copy collection and a record in `mongrate_backups`, listed by `mongrate
//! backup list`) taken, restored and dropped from inside a migration. A dry-run reads what they
//! would do, reports it and writes nothing.

use std::cell::RefCell;
use std::rc::Rc;

use mongodb::Database;
use mongrate_core::backup::{BackupInfo, BackupMethod, backup_name};
use mongrate_core::timestamp::{now_millis, rfc3339_millis};
use mongrate_core::{Error, Version};
use mongrate_mongo::backup::{LONGEST_NAME, MongoBackups};
use rquickjs::function::{Async, Func};
use rquickjs::{Ctx, Object, Value};
use serde::Serialize;

use crate::host_state::HostState;
use crate::native::error_object;

/// The target's backups as a migration uses them.
pub struct ScriptBackups {
    store: MongoBackups,
    /// The migration they are taken for (`mongrate backup list` shows it).
    version: Version,
    migration: String,
    /// What a dry-run would have backed up so far: restoring or dropping them later in the same
    /// dry-run is reported, not refused as unknown.
    planned: RefCell<Vec<BackupInfo>>,
}

impl ScriptBackups {
    pub fn new(store: MongoBackups, version: Version, migration: String) -> Self {
        ScriptBackups { store, version, migration, planned: RefCell::new(Vec::new()) }
    }

    /// The same backups through `database` (the JavaScript engine's own client).
    pub fn bound_to(mut self, database: &Database) -> Self {
        self.store.db = database.clone();
        self
    }

    /// The backups recorded, then those a dry-run would have taken (oldest first).
    async fn known(&self) -> Result<Vec<BackupInfo>, Error> {
        let mut known = self.store.list().await?;
        known.extend(self.planned.borrow().iter().cloned());
        Ok(known)
    }

    /// The backup called `name`, else the latest of the collection `name`.
    async fn find(&self, name: &str) -> Result<BackupInfo, Error> {
        let known = self.known().await?;
        if let Some(backup) = known.iter().find(|b| b.name == name) {
            return Ok(backup.clone());
        }
        known.into_iter().rev().find(|b| b.collection == name).ok_or_else(|| {
            Error::config(format!(
                "there is no backup named {name} and no backup of a collection {name}: `mongrate backup list` shows them"
            ))
        })
    }
}

fn backups_of(state: &HostState) -> Result<&ScriptBackups, Error> {
    state
        .backups
        .as_ref()
        .ok_or_else(|| Error::config("backups can be taken only inside a migration's up() and down()"))
}

/// A value as a plain JavaScript object.
fn to_js<'js>(ctx: &Ctx<'js>, value: &impl Serialize) -> rquickjs::Result<Value<'js>> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
    ctx.json_parse(text)
}

fn answer<'js, T: Serialize>(ctx: &Ctx<'js>, result: Result<T, Error>) -> rquickjs::Result<Value<'js>> {
    match result {
        Ok(value) => to_js(ctx, &value),
        Err(error) => Ok(error_object(ctx, "driver", &error.message)?.into_value()),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What `backupCollection` gives back in a dry-run: the backup it would take.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlannedInfo {
    #[serde(flatten)]
    info: BackupInfo,
    dry_run: bool,
}

async fn take(state: &HostState, collection: &str, stack: &str) -> Result<PlannedInfo, Error> {
    let backups = backups_of(state)?;
    if let Some(log) = &state.dry_run {
        let planned = backups.store.plan(collection).await?;
        // A name no backup of this dry-run has yet (two in one millisecond get the next).
        let mut created = now_millis();
        while backups.planned.borrow().iter().any(|b| b.name == backup_name(collection, created, LONGEST_NAME)) {
            created += 1;
        }
        let info = BackupInfo {
            name: backup_name(collection, created, LONGEST_NAME),
            collection: collection.to_owned(),
            version: Some(backups.version.to_string()),
            migration: Some(backups.migration.clone()),
            created_at: rfc3339_millis(created),
            documents: planned.documents,
            size_bytes: planned.size_bytes,
            method: if planned.exists { BackupMethod::Streamed } else { BackupMethod::Absent },
            restored_at: None,
        };
        let note = "not taken in a dry-run".to_owned();
        log.add(stack, planned.summary("document"), planned.exists.then_some(planned.documents), Some(note), None);
        backups.planned.borrow_mut().push(info.clone());
        return Ok(PlannedInfo { info, dry_run: true });
    }
    let info = backups.store.take(collection, Some((&backups.version, &backups.migration))).await?;
    backups.store.apply_retention(collection).await?;
    Ok(PlannedInfo { info, dry_run: false })
}

/// What `restoreFromBackup` gives back.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Restored {
    backup: String,
    collection: String,
    documents: u64,
    dry_run: bool,
}

async fn restore(state: &HostState, name: &str, into: Option<&str>, stack: &str) -> Result<Restored, Error> {
    let backups = backups_of(state)?;
    let backup = backups.find(name).await?;
    let target = into.unwrap_or(&backup.collection).to_owned();
    if let Some(log) = &state.dry_run {
        let documents = backup.documents;
        let summary = format!("restore backup {} into {target}", backup.name);
        log.add(stack, summary, Some(documents), Some("not restored in a dry-run".to_owned()), None);
        return Ok(Restored { backup: backup.name, collection: target, documents, dry_run: true });
    }
    let report = backups.store.restore(&backup.name, Some(&target)).await?;
    Ok(Restored { backup: report.backup, collection: report.collection, documents: report.documents, dry_run: false })
}

async fn drop_backup(state: &HostState, name: &str, stack: &str) -> Result<PlannedInfo, Error> {
    let backups = backups_of(state)?;
    if let Some(log) = &state.dry_run {
        let known = backups.known().await?;
        let info =
            known.into_iter().find(|b| b.name == name).ok_or_else(|| mongrate_core::backup::unknown_backup(name))?;
        let summary = format!("drop backup {name} ({} document{})", info.documents, plural(info.documents));
        log.add(stack, summary, None, Some("not dropped in a dry-run".to_owned()), None);
        return Ok(PlannedInfo { info, dry_run: true });
    }
    Ok(PlannedInfo { info: backups.store.drop_backup(name).await?, dry_run: false })
}

/// Puts `backupCollection`, `restoreBackup` and `dropBackup` on `__mongrate.native`; each gives
/// back a plain object, or an error object.
pub fn install<'js>(native: &Object<'js>, state: &Rc<HostState>) -> rquickjs::Result<()> {
    let s = state.clone();
    native.set(
        "backupCollection",
        Func::from(Async(move |ctx: Ctx<'js>, collection: String, stack: String| {
            let s = s.clone();
            async move { answer(&ctx, take(&s, &collection, &stack).await) }
        })),
    )?;
    let s = state.clone();
    native.set(
        "restoreBackup",
        Func::from(Async(move |ctx: Ctx<'js>, name: String, into: Option<String>, stack: String| {
            let s = s.clone();
            async move { answer(&ctx, restore(&s, &name, into.as_deref(), &stack).await) }
        })),
    )?;
    let s = state.clone();
    native.set(
        "dropBackup",
        Func::from(Async(move |ctx: Ctx<'js>, name: String, stack: String| {
            let s = s.clone();
            async move { answer(&ctx, drop_backup(&s, &name, &stack).await) }
        })),
    )?;
    Ok(())
}
