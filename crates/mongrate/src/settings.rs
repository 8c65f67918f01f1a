//! Finding and reading the settings: mongrate.toml, or a migrate-mongo project's
//! migrate-mongo-config.js (evaluated by the JavaScript engine), then the environment and flags.

use std::path::Path;

use mongrate_core::config::{ConfigLocation, ConfigSource, Overrides, Settings};
use mongrate_core::{Error, Result};

/// Resolves the settings; `config` is the `--config` path.
pub fn load_settings(config: Option<&Path>, overrides: Overrides) -> Result<Settings> {
    let env = |key: &str| std::env::var(key).ok();
    let source = match ConfigLocation::find(config) {
        ConfigLocation::None => ConfigSource::None,
        ConfigLocation::Toml(path) => ConfigSource::Toml(path),
        ConfigLocation::MigrateMongo(path) => {
            let read = mongrate_js::read_migrate_mongo_config(&path).map_err(Error::config)?;
            ConfigSource::MigrateMongo(path, read)
        }
    };
    Settings::resolve_from(source, &env, overrides)
}
