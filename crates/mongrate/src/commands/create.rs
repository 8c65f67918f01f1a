//! `mongrate create <name>`: a new migration file from a template.

use mongrate_core::naming::new_file_name;
use mongrate_core::timestamp::now_millis;
use mongrate_core::{Error, Result, Version};

use crate::cli::{CreateArgs, FileFormat};
use crate::commands::Context;

pub fn run(context: &Context, args: &CreateArgs) -> Result<i32> {
    let mongodb = context.settings.url().is_ok_and(mongrate_mongo::MongoTarget::handles);
    let format = args.format.unwrap_or(if mongodb { FileFormat::Yaml } else { FileFormat::Sql });
    let (extension, body) = match format {
        FileFormat::Sql => ("sql", mongrate_sql::sql_file::template(&args.name)),
        FileFormat::Yaml => ("yaml", mongrate_mongo::declarative::template(&args.name)),
        FileFormat::Json => ("json", mongrate_mongo::declarative::json_template(&args.name)),
        FileFormat::Js => ("js", mongrate_js::template::template(&args.name)),
    };
    let dir = &context.settings.migrations_dir;
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
    let name = new_file_name(now_millis(), &existing, &args.name, extension).map_err(Error::config)?;
    let path = dir.join(&name);
    if path.exists() {
        return Err(Error::config(format!("{} already exists; wait a second or choose another name", path.display())));
    }
    std::fs::write(&path, body).map_err(|e| Error::config(format!("cannot write {}: {e}", path.display())))?;
    context.output.line(format!("created {}", path.display()));
    context.output.json_value(&serde_json::json!({ "file": path.display().to_string(), "name": name }));
    Ok(0)
}
