//! Reading a migrate-mongo project's `migrate-mongo-config.js`: it is JavaScript (it may read
//! `process.env` or `.env` through dotenv), so it is evaluated, not parsed.

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use mongrate_core::config::MigrateMongoConfig;
use rquickjs::{CatchResultExt, Function, Object, Promise};

use crate::console::StderrConsole;
use crate::host::{THREAD_STACK, install_prelude, load_exports, new_runtime};
use crate::host_state::HostState;
use crate::module_source::read_module;

/// Evaluates the configuration file and returns its settings.
pub fn read_migrate_mongo_config(path: &Path) -> Result<MigrateMongoConfig, String> {
    let path = std::fs::canonicalize(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let source = read_module(&path)?;
    let shown = path.display().to_string();
    std::thread::Builder::new()
        .name("mongrate-js-config".to_owned())
        .stack_size(THREAD_STACK)
        .spawn(move || {
            let tokio = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map_err(|e| format!("cannot start the JavaScript engine: {e}"))?;
            tokio.block_on(evaluate(&path, &source))
        })
        .map_err(|e| format!("cannot start the JavaScript engine's thread: {e}"))?
        .join()
        .map_err(|_| format!("{shown}: the JavaScript engine failed while reading it"))?
        .map_err(|why| if why.starts_with(&shown) { why } else { format!("{shown}: {why}") })
}

async fn evaluate(path: &Path, source: &str) -> Result<MigrateMongoConfig, String> {
    let (_runtime, context) = new_runtime(|| false).await.map_err(|e| e.to_string())?;
    let state = Rc::new(HostState::new(None, None, false, Arc::new(StderrConsole), path.to_path_buf()));
    context
        .async_with(async |ctx| {
            install_prelude(&ctx, &state).catch(&ctx).map_err(crate::js_error::describe)?;
            let exports = load_exports(&ctx, path, source).await.catch(&ctx).map_err(crate::js_error::describe)?;
            let read = async || -> rquickjs::Result<MigrateMongoConfig> {
                let mongrate: Object = ctx.globals().get("__mongrate")?;
                let extract: Function = mongrate.get("migrateMongoConfig")?;
                let found: Promise = extract.call((exports,))?;
                let found: Object = found.into_future().await?;
                Ok(MigrateMongoConfig {
                    url: found.get("url")?,
                    database: found.get("databaseName")?,
                    migrations_dir: found.get("migrationsDir")?,
                    changelog_collection: found.get("changelogCollectionName")?,
                    lock_collection: found.get("lockCollectionName")?,
                })
            };
            read().await.catch(&ctx).map_err(crate::js_error::describe)
        })
        .await
}
