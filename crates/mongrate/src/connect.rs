//! Choosing the target for a URL and loading the migrations it runs.

use std::path::Path;
use std::sync::Arc;

use mongrate_core::config::Settings;
use mongrate_core::discovery::scan;
use mongrate_core::{Error, Layout, Migration, MigrationFile, MigrationMeta, Result, Target};
use mongrate_js::JsEngine;
use mongrate_mongo::{MongoOptions, MongoTarget};
use mongrate_sql::{SqlOptions, SqlTarget};

use crate::batch_progress::ProgressConsole;

/// Connects to the database the settings name.
pub async fn connect_target(settings: &Settings) -> Result<Box<dyn Target>> {
    let url = settings.url()?;
    if SqlTarget::handles(url) {
        return Ok(Box::new(connect_sql(settings).await?));
    }
    if MongoTarget::handles(url) {
        return Ok(Box::new(connect_mongo(settings).await?));
    }
    let forms = mongrate_mongo::connection::URL_FORMS.iter().chain(mongrate_sql::connection::URL_FORMS).copied();
    let forms = forms.collect::<Vec<_>>().join(", ");
    let why = match url.split_once(':') {
        Some((scheme, _)) => format!("has scheme '{scheme}:', which mongrate does not know"),
        None => "is not a URL (it has no scheme such as postgres:)".to_owned(),
    };
    Err(Error::config(format!(
        "the URL {} (from {}) {why}. Accepted forms: {forms}",
        mongrate_core::url_redaction::redact_url(url),
        settings.url_source
    )))
}

/// Connects to the PostgreSQL or SQLite database the settings name.
pub async fn connect_sql(settings: &Settings) -> Result<SqlTarget> {
    let url = settings.url()?;
    if !SqlTarget::handles(url) {
        return Err(Error::config(format!(
            "this needs a PostgreSQL or SQLite database (postgres://… or sqlite:…); the URL from {} is neither",
            settings.url_source
        )));
    }
    SqlTarget::connect(SqlOptions {
        url: url.to_owned(),
        base_dir: settings.base_dir.clone(),
        names: settings.names.clone(),
        connect_timeout: settings.connect_timeout,
        backup: settings.backup.clone(),
        placeholders: settings.placeholders.clone(),
    })
    .await
}

/// Connects to the MongoDB database the settings name, with the JavaScript engine for `.js` files.
pub async fn connect_mongo(settings: &Settings) -> Result<MongoTarget> {
    let url = settings.url()?;
    if !MongoTarget::handles(url) {
        return Err(Error::config(format!("this needs a MongoDB database (mongodb://…), not {}", settings.url_source)));
    }
    MongoTarget::connect(MongoOptions {
        url: url.to_owned(),
        database: settings.database.clone(),
        names: settings.names.clone(),
        connect_timeout: settings.connect_timeout,
        scripts: Some(Arc::new(
            JsEngine::new(Arc::new(ProgressConsole::new(settings.progress)))
                .with_max_per_second(settings.max_per_second),
        )),
        backup: settings.backup.clone(),
    })
    .await
    .map(|target| target.with_schema_field(settings.schema.field.clone()))
}

/// Reads every migration in `dir` (in `layout`, or the layout its files show) and has the target
/// parse it. All problems are reported at once, before anything touches the database.
pub fn load_migrations(dir: &Path, layout: Option<Layout>, target: &dyn Target) -> Result<Vec<Migration>> {
    inspect_all(scan(dir, layout)?, target)
}

/// Connects and loads the migrations, the directory read on a blocking thread while the database
/// connects (a thousand files take about as long as the connection). The migrations' own result
/// comes beside the target, so that a caller can keep the connection when a file is broken.
pub async fn connect_and_load(settings: &Settings) -> Result<(Box<dyn Target>, Result<Vec<Migration>>)> {
    let (dir, layout) = (settings.migrations_dir.clone(), settings.layout);
    let scanning = tokio::task::spawn_blocking(move || scan(&dir, layout));
    let target = connect_target(settings).await?;
    let scanned = scanning.await.map_err(|e| Error::config(format!("reading the migrations directory stopped: {e}")));
    let migrations = scanned.and_then(|scanned| inspect_all(scanned?, target.as_ref()));
    Ok((target, migrations))
}

/// Has the target parse every scanned file and keys the repeatable ones. A file the target cannot load is kept with its error
/// (`status` lists it; a run fails only if it needs the file); a file that cannot be placed (a name
/// without a version, two files with one version) is an error, and every such problem is listed.
fn inspect_all(
    (files, mut problems): (Vec<MigrationFile>, Vec<String>),
    target: &dyn Target,
) -> Result<Vec<Migration>> {
    let mut migrations = Vec::with_capacity(files.len());
    for file in files {
        match target.inspect(&file) {
            Ok(meta) => migrations.push(Migration { file, meta, load_error: None }),
            Err(error) => {
                // Taken as reversible, so that a down that needs the file fails on why it cannot be
                // loaded rather than as irreversible.
                let meta = MigrationMeta { name: file.slug.clone(), reversible: true, ..MigrationMeta::default() };
                migrations.push(Migration { file, meta, load_error: Some(error.message) });
            }
        }
    }
    let (migrations, twice) = mongrate_core::migration::key_repeatables(migrations);
    problems.extend(twice);
    if !problems.is_empty() {
        // The files' own problems are listed too, so that one run shows them all.
        problems.extend(migrations.into_iter().filter_map(|m| m.load_error));
        return Err(Error::validation(problems.join("\n")));
    }
    Ok(migrations)
}

/// The migrations, or one error listing every file that cannot be loaded: for what needs every
/// file (`validate`, the service, which refuses to serve a directory with a broken file).
pub fn every_file_loaded(migrations: Vec<Migration>) -> Result<Vec<Migration>> {
    let problems: Vec<&str> = migrations.iter().filter_map(|m| m.load_error.as_deref()).collect();
    if problems.is_empty() { Ok(migrations) } else { Err(Error::validation(problems.join("\n"))) }
}
