//! Settings from `mongrate.toml`, the environment and flags: flags win over the environment, the
//! environment over the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::backup::BackupPolicy;
use crate::error::{Error, Result};
use crate::interpolation::interpolate;
use crate::layout::Layout;
use crate::placeholders::{Placeholders, find_flyway_conf, read_flyway_conf};
use crate::secret::Secret;

/// The file mongrate looks for in the working directory when `--config` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "mongrate.toml";

/// A migrate-mongo project's configuration, read when there is no mongrate.toml: the first of
/// these in the working directory (CommonJS, either module system, TypeScript).
pub const MIGRATE_MONGO_CONFIG_FILES: [&str; 4] =
    ["migrate-mongo-config.js", "migrate-mongo-config.cjs", "migrate-mongo-config.mjs", "migrate-mongo-config.ts"];

/// What a migrate-mongo project's `migrate-mongo-config.js` says (evaluated by the JavaScript
/// engine, which this crate does not know).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrateMongoConfig {
    pub url: Option<String>,
    pub database: Option<String>,
    pub migrations_dir: Option<String>,
    pub changelog_collection: Option<String>,
    pub lock_collection: Option<String>,
}

/// migrate-mongo's own collections in a project that comes from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateMongoCollections {
    pub changelog: String,
    pub lock: String,
}

/// Where the settings file is, before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigLocation {
    None,
    Toml(PathBuf),
    MigrateMongo(PathBuf),
}

impl ConfigLocation {
    /// `--config` if given (a `.js`, `.cjs`, `.mjs` or `.ts` file is a migrate-mongo
    /// configuration), else mongrate.toml in the working directory, else migrate-mongo's
    /// configuration there.
    pub fn find(config: Option<&Path>) -> ConfigLocation {
        match config {
            Some(path)
                if path
                    .extension()
                    .is_some_and(|e| ["js", "cjs", "mjs", "ts", "cts", "mts"].iter().any(|x| e == *x)) =>
            {
                ConfigLocation::MigrateMongo(path.to_path_buf())
            }
            Some(path) => ConfigLocation::Toml(path.to_path_buf()),
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                ConfigLocation::Toml(PathBuf::from(DEFAULT_CONFIG_FILE))
            }
            None => match MIGRATE_MONGO_CONFIG_FILES.iter().find(|name| Path::new(name).is_file()) {
                Some(name) => ConfigLocation::MigrateMongo(PathBuf::from(name)),
                None => ConfigLocation::None,
            },
        }
    }
}

/// A settings file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    None,
    Toml(PathBuf),
    MigrateMongo(PathBuf, MigrateMongoConfig),
}

/// The longest lock ttl, lock timeout and connect timeout. Anything longer is a typo, and the
/// milliseconds of an expiry time must stay far from `i64::MAX` (and a deadline within `Instant`).
const LONGEST_WAIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Environment variables that give the URL, strongest first (`MONGO_URI` is the seeds' name).
pub const URL_VARIABLES: [&str; 3] = ["MONGRATE_URL", "MONGO_URI", "DATABASE_URL"];

/// Names of the changelog, history and lock tables (collections on MongoDB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogNames {
    pub migrations: String,
    pub history: String,
    pub lock: String,
    /// What is recorded of each backup (see [`crate::backup`]).
    pub backups: String,
}

impl Default for ChangelogNames {
    fn default() -> Self {
        ChangelogNames {
            migrations: "mongrate_migrations".into(),
            history: "mongrate_history".into(),
            lock: "mongrate_lock".into(),
            backups: "mongrate_backups".into(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    url: Option<String>,
    database: Option<String>,
    migrations_dir: Option<String>,
    /// The layout of the migrations directory; detected from the files when not set.
    layout: Option<String>,
    connect_timeout_seconds: Option<u64>,
    #[serde(alias = "collections")]
    tables: Option<NamesSection>,
    lock: Option<LockSection>,
    serve: Option<ServeSection>,
    backup: Option<BackupSection>,
    /// Flyway placeholders: `name = "value"` for `${name}` in a Flyway project's files.
    placeholders: Option<BTreeMap<String, String>>,
    schema: Option<SchemaSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaSection {
    collections: Option<Vec<String>>,
    field: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NamesSection {
    migrations: Option<String>,
    history: Option<String>,
    lock: Option<String>,
    backups: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupSection {
    auto: Option<bool>,
    retain: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LockSection {
    ttl_seconds: Option<u64>,
    timeout_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServeSection {
    listen: Option<String>,
    token: Option<String>,
}

/// The environment variable that holds the API token of `mongrate serve`.
pub const API_TOKEN_VARIABLE: &str = "MONGRATE_API_TOKEN";

/// What `mongrate serve` reads from the configuration file and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeSettings {
    /// `[serve] listen`; the `--listen` flag and `MONGRATE_LISTEN` win over it.
    pub listen: Option<String>,
    /// `MONGRATE_API_TOKEN`, else `[serve] token` (usually `"${SOME_VARIABLE}"`).
    pub token: Option<Secret>,
}

/// `[schema]`: the document versions `status` counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaSettings {
    /// Collections whose documents `status` counts by version (`schema census`).
    pub collections: Vec<String>,
    /// The version field of every document (default `schema_version`).
    pub field: String,
}

impl Default for SchemaSettings {
    fn default() -> Self {
        SchemaSettings { collections: Vec::new(), field: DEFAULT_SCHEMA_FIELD.to_owned() }
    }
}

/// The version field when `[schema] field` names none.
pub const DEFAULT_SCHEMA_FIELD: &str = "schema_version";

/// How the progress of batch loops (long data migrations) is shown on standard error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProgressStyle {
    /// Not at all.
    Quiet,
    /// A line when each loop ends (standard error is not a terminal).
    #[default]
    Lines,
    /// A progress bar per loop (standard error is a terminal).
    Bars,
    /// One JSON event per batch (`--log-format json`).
    Json,
}

/// Values given on the command line (or by a library caller); they win over everything.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub url: Option<String>,
    pub database: Option<String>,
    pub migrations_dir: Option<PathBuf>,
    pub lock_ttl: Option<Duration>,
    pub lock_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// `--max-per-second`: caps every batch loop of a run.
    pub max_per_second: Option<u32>,
    pub progress: ProgressStyle,
}

/// Everything resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    url: Option<String>,
    /// Where the URL came from, for messages.
    pub url_source: &'static str,
    pub database: Option<String>,
    pub migrations_dir: PathBuf,
    /// `layout = "…"`: how the migrations directory is laid out; `None` detects it from the files.
    pub layout: Option<Layout>,
    /// Flyway's placeholders: `[placeholders]` here, over the project's `flyway.conf`.
    pub placeholders: Placeholders,
    /// Relative paths in the configuration file (a SQLite file) are relative to this directory.
    pub base_dir: PathBuf,
    pub names: ChangelogNames,
    pub lock_ttl: Duration,
    pub lock_timeout: Duration,
    pub connect_timeout: Duration,
    pub config_file: Option<PathBuf>,
    /// Set when the settings came from a migrate-mongo project: its changelog can be imported.
    pub migrate_mongo: Option<MigrateMongoCollections>,
    pub serve: ServeSettings,
    /// `[backup]`: automatic backups and how many to keep.
    pub backup: BackupPolicy,
    /// Documents a second every batch loop of a run may process at most (`--max-per-second`).
    pub max_per_second: Option<u32>,
    /// How batch loops show their progress.
    pub progress: ProgressStyle,
    /// `[schema]`: the collections `status` counts by version, and the version field.
    pub schema: SchemaSettings,
}

impl Settings {
    /// The database URL, or an error saying how to give one. There is never a silent default.
    pub fn url(&self) -> Result<&str> {
        self.url.as_deref().ok_or_else(|| {
            Error::config(
                "no database URL: set `url` in mongrate.toml, or MONGRATE_URL / MONGO_URI / DATABASE_URL in the environment, \
                 or pass --url (e.g. --url mongodb://localhost:27017/app, --url postgres://user@localhost/app or --url sqlite:mongrate.db)",
            )
        })
    }

    /// The same settings pointed at another database (`mongrate test` migrates a scratch copy):
    /// `url`, and on MongoDB `database`.
    pub fn for_database(&self, url: &str, database: Option<&str>, source: &'static str) -> Settings {
        Settings {
            url: Some(url.to_owned()),
            url_source: source,
            database: database.map(str::to_owned),
            ..self.clone()
        }
    }

    /// Resolves settings. `config` is the `--config` path; without it `mongrate.toml` in the working
    /// directory is read if present. `env` looks up environment variables.
    pub fn resolve(
        config: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        overrides: Overrides,
    ) -> Result<Settings> {
        let source = match ConfigLocation::find(config) {
            ConfigLocation::None => ConfigSource::None,
            ConfigLocation::Toml(path) => ConfigSource::Toml(path),
            ConfigLocation::MigrateMongo(path) => {
                return Err(Error::config(format!(
                    "{}: a migrate-mongo configuration needs the JavaScript engine to be read",
                    path.display()
                )));
            }
        };
        Settings::resolve_from(source, env, overrides)
    }

    /// Resolves settings from a located and read settings file.
    pub fn resolve_from(
        source: ConfigSource,
        env: &dyn Fn(&str) -> Option<String>,
        overrides: Overrides,
    ) -> Result<Settings> {
        let mut migrate_mongo = None;
        let (file, config_file) = match source {
            ConfigSource::Toml(path) => (read_config(&path)?, Some(path)),
            ConfigSource::MigrateMongo(path, foreign) => {
                migrate_mongo = Some(MigrateMongoCollections {
                    changelog: foreign.changelog_collection.clone().unwrap_or_else(|| "changelog".to_owned()),
                    lock: foreign.lock_collection.clone().unwrap_or_else(|| "changelog_lock".to_owned()),
                });
                let file = ConfigFile {
                    url: foreign.url,
                    database: foreign.database,
                    migrations_dir: foreign.migrations_dir,
                    ..ConfigFile::default()
                };
                (file, Some(path))
            }
            ConfigSource::None => (ConfigFile::default(), None),
        };
        let shown = config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
        let expand = |key: &str, value: Option<String>| -> Result<Option<String>> {
            value
                .map(|v| interpolate(&v, env).map_err(|why| Error::config(format!("{shown}: `{key}`: {why}"))))
                .transpose()
        };
        let base_dir = config_file
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));

        let file_url = expand("url", file.url)?;
        let env_url = URL_VARIABLES.iter().find_map(|key| env(key).filter(|v| !v.is_empty()).map(|v| (*key, v)));
        let (url, url_source) = if let Some(url) = overrides.url {
            (Some(url), "--url")
        } else if let Some((key, url)) = env_url {
            (Some(url), key)
        } else if let Some(url) = file_url {
            (Some(url), "the configuration file")
        } else {
            (None, "nowhere")
        };
        // A URL from the environment or flags is relative to the working directory, like any path typed.
        let base_dir = if url_source == "the configuration file" { base_dir } else { PathBuf::from(".") };

        let migrations_dir = match (overrides.migrations_dir, expand("migrations_dir", file.migrations_dir)?) {
            (Some(dir), _) => dir,
            (None, Some(dir)) => config_file
                .as_ref()
                .and_then(|p| p.parent())
                .map(|parent| parent.join(&dir))
                .unwrap_or_else(|| PathBuf::from(&dir)),
            (None, None) => PathBuf::from("migrations"),
        };

        let layout = expand("layout", file.layout)?
            .map(|text| {
                text.parse::<Layout>().map_err(|why| Error::config(format!("{shown}: layout = \"{text}\": {why}")))
            })
            .transpose()?;

        // flyway.conf sits beside the configuration file, whatever the URL's source.
        let config_dir = config_file.as_ref().and_then(|p| p.parent()).filter(|p| !p.as_os_str().is_empty());
        let placeholders = placeholders(config_dir.unwrap_or(Path::new(".")), file.placeholders, &expand)?;

        let names_section = file.tables.unwrap_or_default();
        let defaults = ChangelogNames::default();
        let mut names = ChangelogNames {
            migrations: expand("tables.migrations", names_section.migrations)?.unwrap_or(defaults.migrations),
            history: expand("tables.history", names_section.history)?.unwrap_or(defaults.history),
            lock: expand("tables.lock", names_section.lock)?.unwrap_or(defaults.lock),
            backups: expand("tables.backups", names_section.backups)?.unwrap_or(defaults.backups),
        };
        for (key, name) in [
            ("migrations", &mut names.migrations),
            ("history", &mut names.history),
            ("lock", &mut names.lock),
            ("backups", &mut names.backups),
        ] {
            *name = name.trim().to_owned();
            check_name(key, name).map_err(|why| Error::config(format!("{shown}: {why}")))?;
        }

        let lock = file.lock.unwrap_or_default();
        let serve_section = file.serve.unwrap_or_default();
        let file_token = expand("serve.token", serve_section.token)?;
        let token = env(API_TOKEN_VARIABLE).or(file_token).filter(|token| !token.is_empty()).map(Secret::new);
        let serve = ServeSettings { listen: expand("serve.listen", serve_section.listen)?, token };
        let backup_section = file.backup.unwrap_or_default();
        let retain = match backup_section.retain {
            None => None,
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            Some(n) => {
                return Err(Error::config(format!(
                    "{shown}: backup.retain = {n}: keep at least 1 backup of each collection (or leave retain out to keep all)"
                )));
            }
        };
        let backup = BackupPolicy { auto: backup_section.auto.unwrap_or(false), retain };
        let schema =
            schema_settings(file.schema.unwrap_or_default()).map_err(|why| Error::config(format!("{shown}: {why}")))?;
        let seconds = |value: Option<u64>, default: u64| Duration::from_secs(value.unwrap_or(default));
        let settings = Settings {
            url,
            url_source,
            database: overrides.database.or(expand("database", file.database)?),
            migrations_dir,
            layout,
            placeholders,
            base_dir,
            names,
            lock_ttl: overrides.lock_ttl.unwrap_or(seconds(lock.ttl_seconds, 60)),
            lock_timeout: overrides.lock_timeout.unwrap_or(seconds(lock.timeout_seconds, 120)),
            connect_timeout: overrides.connect_timeout.unwrap_or(seconds(file.connect_timeout_seconds, 10)),
            config_file,
            migrate_mongo,
            serve,
            backup,
            max_per_second: overrides.max_per_second,
            progress: overrides.progress,
            schema,
        };
        if settings.lock_ttl < Duration::from_secs(1) {
            return Err(Error::config("the lock ttl (lock.ttl_seconds, --lock-ttl) must be at least 1 second"));
        }
        for (what, value) in [
            ("lock ttl (lock.ttl_seconds, --lock-ttl)", settings.lock_ttl),
            ("lock timeout (lock.timeout_seconds, --lock-timeout)", settings.lock_timeout),
            ("connect timeout (connect_timeout_seconds, --connect-timeout)", settings.connect_timeout),
        ] {
            if value > LONGEST_WAIT {
                return Err(Error::config(format!(
                    "the {what} is {} seconds; at most {} seconds (a year) is allowed",
                    value.as_secs(),
                    LONGEST_WAIT.as_secs()
                )));
            }
        }
        Ok(settings)
    }
}

/// Interpolates the environment into a value read under a key (the key names it in errors).
type Expand<'a> = dyn Fn(&str, Option<String>) -> Result<Option<String>> + 'a;

/// `[placeholders]` over `flyway.conf`'s `flyway.placeholders.*` (and its other settings), the
/// `flyway.conf` beside the configuration file (or in the working directory without one).
fn placeholders(base_dir: &Path, table: Option<BTreeMap<String, String>>, expand: &Expand<'_>) -> Result<Placeholders> {
    let mut placeholders = Placeholders::default();
    if let Some(path) = find_flyway_conf(base_dir) {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
        let conf = read_flyway_conf(&text).map_err(|why| Error::config(format!("{}: {why}", path.display())))?;
        placeholders.values = conf.placeholders;
        placeholders.replace = conf.replace.unwrap_or(true);
        placeholders.table = conf.table.unwrap_or(placeholders.table);
        placeholders.default_schema = conf.default_schema;
    }
    for (name, value) in table.unwrap_or_default() {
        let value = expand(&format!("placeholders.{name}"), Some(value))?.unwrap_or_default();
        placeholders.values.insert(name, value);
    }
    Ok(placeholders)
}

/// `[schema]` checked: a field path for `field`, plain names for `collections`.
fn schema_settings(section: SchemaSection) -> std::result::Result<SchemaSettings, String> {
    let field = section.field.map(|f| f.trim().to_owned()).unwrap_or_else(|| DEFAULT_SCHEMA_FIELD.to_owned());
    if field.is_empty() || field.starts_with('$') || field.split('.').any(str::is_empty) || field == "_id" {
        return Err(format!(
            "schema.field = '{field}' is not a field path for the version (e.g. schema_version or meta.version)"
        ));
    }
    let mut collections = Vec::new();
    for name in section.collections.unwrap_or_default() {
        let name = name.trim().to_owned();
        if name.is_empty() || name.starts_with("system.") || name.contains('$') || name.contains('\0') {
            return Err(format!("schema.collections: '{name}' is not a collection name"));
        }
        if !collections.contains(&name) {
            collections.push(name);
        }
    }
    Ok(SchemaSettings { collections, field })
}

fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::config(format!("cannot read the configuration file {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| Error::config(format!("{}: {}", path.display(), e.to_string().trim_end())))
}

/// Table and collection names are interpolated into statements, so only plain identifiers
/// (optionally `schema.table`) are accepted.
fn check_name(key: &str, name: &str) -> std::result::Result<(), String> {
    if crate::naming::is_plain_identifier(name) {
        Ok(())
    } else {
        Err(format!(
            "tables.{key} = '{name}' is not a valid name: use letters, digits and underscores (optionally schema.name)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn write_config(body: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mongrate.toml");
        std::fs::write(&path, body).unwrap();
        (dir, path)
    }

    #[test]
    fn flags_win_over_env_over_file() {
        let (_dir, path) = write_config("url = \"sqlite:file.db\"\n");
        let env = |key: &str| (key == "DATABASE_URL").then(|| "sqlite:env.db".to_string());
        let from_env = Settings::resolve(Some(&path), &env, Overrides::default()).unwrap();
        assert_eq!(from_env.url().unwrap(), "sqlite:env.db");
        let flags = Overrides { url: Some("sqlite:flag.db".into()), ..Default::default() };
        assert_eq!(Settings::resolve(Some(&path), &env, flags).unwrap().url().unwrap(), "sqlite:flag.db");
        let from_file = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap();
        assert_eq!(from_file.url().unwrap(), "sqlite:file.db");
        assert_eq!(from_file.base_dir, path.parent().unwrap());
    }

    #[test]
    fn mongrate_url_wins_over_mongo_uri_over_database_url() {
        let env = |key: &str| match key {
            "MONGRATE_URL" => Some("sqlite:a.db".to_string()),
            "MONGO_URI" => Some("mongodb://localhost/m".to_string()),
            "DATABASE_URL" => Some("sqlite:b.db".to_string()),
            _ => None,
        };
        let settings = Settings::resolve(None, &env, Overrides::default()).unwrap();
        assert_eq!(settings.url().unwrap(), "sqlite:a.db");
        let without = |key: &str| if key == "MONGRATE_URL" { None } else { env(key) };
        let settings = Settings::resolve(None, &without, Overrides::default()).unwrap();
        assert_eq!(settings.url().unwrap(), "mongodb://localhost/m");
        assert_eq!(settings.url_source, "MONGO_URI");
    }

    #[test]
    fn interpolates_and_resolves_relative_dirs() {
        let (_dir, path) = write_config(
            "url = \"postgres://${PGHOST:-localhost}/app\"\nmigrations_dir = \"db\"\n[lock]\nttl_seconds = 5\n[tables]\nmigrations = \"app.changes\"\n",
        );
        let settings = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap();
        assert_eq!(settings.url().unwrap(), "postgres://localhost/app");
        assert_eq!(settings.migrations_dir, path.parent().unwrap().join("db"));
        assert_eq!(settings.lock_ttl, Duration::from_secs(5));
        assert_eq!(settings.lock_timeout, Duration::from_secs(120));
        assert_eq!(settings.names.migrations, "app.changes");
        assert_eq!(settings.names.history, "mongrate_history");
    }

    #[test]
    fn the_serve_section_reads_listen_and_an_interpolated_token_and_the_environment_wins() {
        let (_dir, path) = write_config("[serve]\nlisten = \"0.0.0.0:9000\"\ntoken = \"${APP_TOKEN}\"\n");
        let from_file = |key: &str| (key == "APP_TOKEN").then(|| "file-token".to_owned());
        let settings = Settings::resolve(Some(&path), &from_file, Overrides::default()).unwrap();
        assert_eq!(settings.serve.listen.as_deref(), Some("0.0.0.0:9000"));
        assert_eq!(settings.serve.token.as_ref().map(Secret::expose), Some("file-token"));
        assert!(!format!("{settings:?}").contains("file-token"), "settings' Debug shows the token");
        let env = |key: &str| match key {
            "APP_TOKEN" => Some("file-token".to_owned()),
            API_TOKEN_VARIABLE => Some("env-token".to_owned()),
            _ => None,
        };
        let settings = Settings::resolve(Some(&path), &env, Overrides::default()).unwrap();
        assert_eq!(settings.serve.token.as_ref().map(Secret::expose), Some("env-token"));
        let error = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(error.message.contains("serve.token"), "{}", error.message);
    }

    #[test]
    fn the_backup_section_reads_auto_and_retain() {
        let (_dir, path) = write_config("[backup]\nauto = true\nretain = 3\n");
        let settings = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap();
        assert_eq!(settings.backup, BackupPolicy { auto: true, retain: Some(3) });
        let (_dir, path) = write_config("[backup]\nretain = 0\n");
        let error = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(error.message.contains("backup.retain"), "{}", error.message);
        let defaults = Settings::resolve(None, &no_env, Overrides::default()).unwrap();
        assert_eq!(defaults.backup, BackupPolicy::default());
        assert_eq!(defaults.names.backups, "mongrate_backups");
    }

    #[test]
    fn the_layout_is_read_and_a_wrong_one_names_the_key_and_the_choices() {
        let (_dir, path) = write_config("layout = \"golang-migrate\"\n");
        let settings = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap();
        assert_eq!(settings.layout, Some(Layout::GolangMigrate));
        assert_eq!(Settings::resolve(None, &no_env, Overrides::default()).unwrap().layout, None);
        let (_dir, path) = write_config("layout = \"liquibase\"\n");
        let error = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert_eq!(error.kind, crate::ErrorKind::Config);
        for needle in [
            "mongrate.toml",
            "layout = \"liquibase\"",
            "\"golang-migrate\"",
            "\"sqlx\"",
            "\"dbmate\"",
            "\"flyway\"",
            "\"diesel\"",
            "\"mongrate\"",
        ] {
            assert!(error.message.contains(needle), "{needle}: {}", error.message);
        }
    }

    #[test]
    fn placeholders_come_from_the_toml_over_flyway_conf() {
        let (dir, path) = write_config("[placeholders]\nprefix = \"app_\"\nowner = \"${OWNER:-admin}\"\n");
        std::fs::write(
            dir.path().join("flyway.conf"),
            "flyway.placeholders.prefix=old_\nflyway.placeholders.region=eu\nflyway.table=history\n",
        )
        .unwrap();
        let settings = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap();
        let values = &settings.placeholders.values;
        assert_eq!(values.get("prefix").map(String::as_str), Some("app_"));
        assert_eq!(values.get("region").map(String::as_str), Some("eu"));
        assert_eq!(values.get("owner").map(String::as_str), Some("admin"));
        assert_eq!(settings.placeholders.table, "history");
        std::fs::write(dir.path().join("flyway.conf"), "flyway.placeholderReplacement=perhaps\n").unwrap();
        let error = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(error.message.contains("flyway.conf") && error.message.contains("line 1"), "{}", error.message);
    }

    #[test]
    fn the_schema_section_reads_collections_and_field() {
        let (_dir, path) = write_config("[schema]\ncollections = [\"users\", \" orders \"]\nfield = \"meta.v\"\n");
        let settings = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap();
        assert_eq!(settings.schema.collections, ["users", "orders"]);
        assert_eq!(settings.schema.field, "meta.v");
        let defaults = Settings::resolve(None, &no_env, Overrides::default()).unwrap();
        assert_eq!(defaults.schema, SchemaSettings::default());
        assert_eq!(defaults.schema.field, "schema_version");
        for bad in ["[schema]\nfield = \"$v\"\n", "[schema]\nfield = \"a..b\"\n", "[schema]\ncollections = [\"\"]\n"] {
            let (_dir, path) = write_config(bad);
            let error = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
            assert!(error.message.contains("schema."), "{bad}: {}", error.message);
        }
        let (_dir, path) = write_config("[schema]\ncolections = []\n");
        let error = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(error.message.contains("colections"), "{}", error.message);
    }

    #[test]
    fn no_url_is_an_error_that_says_how() {
        let settings = Settings::resolve(None, &no_env, Overrides::default()).unwrap();
        let err = settings.url().unwrap_err();
        assert!(err.message.contains("--url"), "{}", err.message);
    }

    #[test]
    fn malformed_config_names_file_and_line() {
        let (_dir, path) = write_config("url = \"sqlite:x.db\"\nlock = 3\n");
        let err = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::Config);
        assert!(err.message.contains("mongrate.toml") && err.message.contains("line 2"), "{}", err.message);
        let (_dir, path) = write_config("urll = \"x\"\n");
        let err = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(err.message.contains("urll"), "{}", err.message);
    }

    #[test]
    fn unsafe_table_names_are_refused() {
        let (_dir, path) = write_config("[tables]\nlock = \"x; drop table y\"\n");
        let err = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(err.message.contains("tables.lock"), "{}", err.message);
    }

    #[test]
    fn durations_beyond_a_year_are_refused() {
        let (_dir, path) = write_config("[lock]\nttl_seconds = 9223372036854775807\n");
        let err = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(err.message.contains("lock.ttl_seconds"), "{}", err.message);
        let flags = Overrides { connect_timeout: Some(Duration::MAX), ..Default::default() };
        let err = Settings::resolve(None, &no_env, flags).unwrap_err();
        assert!(err.message.contains("--connect-timeout"), "{}", err.message);
    }

    #[test]
    fn missing_variable_is_named() {
        let (_dir, path) = write_config("url = \"${NOT_SET_ANYWHERE}\"\n");
        let err = Settings::resolve(Some(&path), &no_env, Overrides::default()).unwrap_err();
        assert!(err.message.contains("NOT_SET_ANYWHERE") && err.message.contains("`url`"), "{}", err.message);
    }
}
