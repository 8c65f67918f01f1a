//! Writing a new migration file from a template: `mongrate create` and `POST /api/migrations`.
//! In another tool's layout the files are that tool's own (see [`foreign`]).

mod foreign;

use std::path::PathBuf;

use mongrate_core::config::Settings;
use mongrate_core::naming::new_file_name;
use mongrate_core::timestamp::now_millis;
use mongrate_core::{Error, Result, Version};
use serde::{Deserialize, Serialize};

/// The format of a new migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Sql,
    Yaml,
    Json,
    /// migrate-mongo's format, run by the embedded JavaScript engine
    Js,
    /// TypeScript, its types stripped and run by the embedded JavaScript engine
    Ts,
}

/// The file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreatedMigration {
    /// Its path.
    #[schema(value_type = String)]
    pub file: PathBuf,
    /// Its file name (`20250101120000-add-user-index.yaml`); a diesel migration's folder name.
    pub name: String,
    /// Every file written: one, or an up and a down file in another tool's layout.
    #[schema(value_type = Vec<String>)]
    pub files: Vec<PathBuf>,
}

/// The longest name a new migration may have: file names are limited to 255 bytes.
const LONGEST_NAME: usize = 200;

/// Writes a new migration called `name` into the migrations directory; without a format, YAML
/// for a MongoDB database and SQL for the others.
pub fn create_migration(settings: &Settings, name: &str, format: Option<FileFormat>) -> Result<CreatedMigration> {
    check_name(name)?;
    let (layout, existing) = foreign::layout_of(&settings.migrations_dir, settings.layout)?;
    if layout.is_foreign() {
        if let Some(format) = format.filter(|f| *f != FileFormat::Sql) {
            return Err(Error::config(format!(
                "the migrations directory is in the {layout} layout, whose migrations are .sql files: \
                 --format {} is for mongrate's own layout",
                format_name(format)
            )));
        }
        let plan = foreign::plan(layout, &existing, name, now_millis())?;
        return foreign::write(&settings.migrations_dir, plan);
    }
    let mongodb = settings.url().is_ok_and(mongrate_mongo::MongoTarget::handles);
    let format = format.unwrap_or(if mongodb { FileFormat::Yaml } else { FileFormat::Sql });
    let (extension, body) = match format {
        FileFormat::Sql => ("sql", mongrate_sql::sql_file::template(name)),
        FileFormat::Yaml => ("yaml", mongrate_mongo::declarative::template(name)),
        FileFormat::Json => ("json", mongrate_mongo::declarative::json_template(name)),
        FileFormat::Js => ("js", mongrate_js::template::template(name)),
        FileFormat::Ts => ("ts", mongrate_js::template::typescript(name)),
    };
    write_new_file(settings, name, extension, &body)
}

/// Writes a new migration called `name` from the template called `template` (see
/// [`crate::templates`]); without a format, YAML where the template has a YAML form, else
/// JavaScript. Templates are MongoDB migrations: a SQL database's project is refused.
pub fn create_from_template(
    settings: &Settings,
    name: &str,
    template: &str,
    format: Option<FileFormat>,
) -> Result<CreatedMigration> {
    check_name(name)?;
    let (layout, _) = foreign::layout_of(&settings.migrations_dir, settings.layout)?;
    if layout.is_foreign() {
        return Err(Error::config(format!(
            "the migrations directory is in the {layout} layout, whose migrations are plain .sql files: \
             templates are for mongrate's own layout; run mongrate create without --template"
        )));
    }
    let template = crate::templates::find(template)?;
    if let Ok(url) = settings.url()
        && !mongrate_mongo::MongoTarget::handles(url)
    {
        return Err(Error::config(format!(
            "the {} template is a MongoDB migration and this project's database is not MongoDB",
            template.name
        )));
    }
    let (extension, body) = template.render(format, name)?;
    write_new_file(settings, name, extension, &body)
}

/// `--format`'s word for a format.
fn format_name(format: FileFormat) -> String {
    clap::ValueEnum::to_possible_value(&format).map(|v| v.get_name().to_owned()).unwrap_or_default()
}

fn check_name(name: &str) -> Result<()> {
    if name.len() > LONGEST_NAME {
        return Err(Error::config(format!(
            "the name is {} bytes long; at most {LONGEST_NAME} are allowed",
            name.len()
        )));
    }
    Ok(())
}

/// Writes `body` as the next version's file, never overwriting one.
fn write_new_file(settings: &Settings, name: &str, extension: &str, body: &str) -> Result<CreatedMigration> {
    let dir = &settings.migrations_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    // Versions already used, so the new file sorts after them (a broken file still counts).
    let existing: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::config(format!("cannot read {}: {e}", dir.display())))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let (stem, _) = name.rsplit_once('.')?;
            Version::from_file_stem(stem).ok().map(|(version, _)| version)
        })
        .collect();
    let file_name = new_file_name(now_millis(), &existing, name, extension).map_err(Error::config)?;
    let path = dir.join(&file_name);
    // `create_new`: two requests in the same second never overwrite each other's file.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, body.as_bytes()));
    match written {
        Ok(()) => Ok(CreatedMigration { files: vec![path.clone()], file: path, name: file_name }),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(Error::refused(format!("{} already exists; wait a second or choose another name", path.display())))
        }
        Err(e) => Err(Error::config(format!("cannot write {}: {e}", path.display()))),
    }
}
