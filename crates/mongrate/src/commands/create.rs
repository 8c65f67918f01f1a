//! `mongrate create <name>`: a new migration file from a template.

use mongrate::new_migration::create_migration;
use mongrate_core::Result;

use crate::cli::CreateArgs;
use crate::commands::Context;

pub fn run(context: &Context, args: &CreateArgs) -> Result<i32> {
    let created = create_migration(&context.settings, &args.name, args.format)?;
    context.output.line(format!("created {}", created.file.display()));
    context.output.json_value(&serde_json::json!({ "file": created.file.display().to_string(), "name": created.name }));
    Ok(0)
}
