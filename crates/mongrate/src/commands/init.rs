//! `mongrate init`: a configuration file and a migrations directory with an example.

use std::path::Path;

use mongrate_core::config::DEFAULT_CONFIG_FILE;
use mongrate_core::naming::new_file_name;
use mongrate_core::timestamp::now_millis;
use mongrate_core::{Error, Result};

use crate::cli::InitArgs;
use crate::commands::Context;

const EXAMPLE: &str = "-- Example: a table of users with a unique email.\n\
-- mongrate:up\n\
CREATE TABLE users (\n    id INTEGER PRIMARY KEY,\n    email TEXT NOT NULL UNIQUE,\n    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n\
\n\
-- mongrate:down\n\
DROP TABLE users;\n";

const MONGODB_EXAMPLE: &str = "# Example: users get a unique email index. `down` is derived (dropIndex email_1).\n\
description: Users get a unique email index\n\
up:\n\
\x20 - createIndex: { collection: users, keys: { email: 1 }, options: { unique: true } }\n";

fn config_text(url: &str) -> String {
    format!(
        "# mongrate configuration. Environment variables are written ${{NAME}} or ${{NAME:-default}}.\n\
         # MONGRATE_URL / DATABASE_URL override `url`; command-line flags override both.\n\
         url = \"{url}\"\n\
         migrations_dir = \"migrations\"\n\
         # connect_timeout_seconds = 10\n\
         \n\
         [lock]\n\
         ttl_seconds = 60       # a lock without heartbeat expires after this\n\
         timeout_seconds = 120  # how long `up` waits for another run to finish\n\
         \n\
         # [tables]\n\
         # migrations = \"mongrate_migrations\"\n\
         # history = \"mongrate_history\"\n\
         # lock = \"mongrate_lock\"\n"
    )
}

pub fn run(context: &Context, args: &InitArgs) -> Result<i32> {
    let config = context.settings.config_file.clone().unwrap_or_else(|| DEFAULT_CONFIG_FILE.into());
    if config.exists() && !args.force {
        return Err(Error::config(format!("{} already exists; pass --force to overwrite it", config.display())));
    }
    let base = config.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // The URL is written into the file, so nothing is a silent default later.
    let url = context.settings.url().map(str::to_owned).unwrap_or_else(|_| "sqlite:mongrate.db".to_owned());
    let migrations = base.join("migrations");
    let write_error = |path: &Path, e: std::io::Error| Error::config(format!("cannot write {}: {e}", path.display()));
    std::fs::write(&config, config_text(&url)).map_err(|e| write_error(&config, e))?;
    std::fs::create_dir_all(&migrations).map_err(|e| write_error(&migrations, e))?;
    let has_migrations = std::fs::read_dir(&migrations).map(|mut d| d.next().is_some()).unwrap_or(false);
    let example = if has_migrations {
        None
    } else {
        let (extension, body) =
            if mongrate_mongo::MongoTarget::handles(&url) { ("yaml", MONGODB_EXAMPLE) } else { ("sql", EXAMPLE) };
        let name = new_file_name(now_millis(), &[], "create users", extension).map_err(Error::config)?;
        let path = migrations.join(name);
        std::fs::write(&path, body).map_err(|e| write_error(&path, e))?;
        Some(path)
    };
    context.output.line(format!("wrote {} (url = {url})", config.display()));
    if let Some(path) = &example {
        context.output.line(format!("wrote {}", path.display()));
    }
    context.output.line("next: mongrate status, then mongrate up");
    context.output.json_value(&serde_json::json!({
        "config": config.display().to_string(),
        "url": url,
        "example": example.map(|p| p.display().to_string()),
    }));
    Ok(0)
}
