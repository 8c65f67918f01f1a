//! `mongrate create <name>`: a new migration file from a template; `--template NAME` starts from
//! one of the working examples, `--list-templates` lists them.

use mongrate::new_migration::{create_from_template, create_migration};
use mongrate::templates::TEMPLATES;
use mongrate_core::{Error, Result};

use crate::cli::CreateArgs;
use crate::commands::Context;

pub fn run(context: &Context, args: &CreateArgs) -> Result<i32> {
    if args.list_templates {
        return list_templates(context);
    }
    // clap requires a name without --list-templates; this keeps a wrong call from panicking.
    let Some(name) = args.name.as_deref() else {
        return Err(Error::config("give the new migration a name, e.g. mongrate create \"add user index\""));
    };
    let created = match args.template.as_deref() {
        Some(template) => create_from_template(&context.settings, name, template, args.format)?,
        None => create_migration(&context.settings, name, args.format)?,
    };
    for file in &created.files {
        context.output.line(format!("created {}", file.display()));
    }
    let files: Vec<String> = created.files.iter().map(|f| f.display().to_string()).collect();
    context.output.json_value(&serde_json::json!({
        "file": created.file.display().to_string(),
        "name": created.name,
        "files": files,
    }));
    Ok(0)
}

fn list_templates(context: &Context) -> Result<i32> {
    let width = TEMPLATES.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for template in TEMPLATES {
        let formats = template.format_names().join(", ");
        context.output.line(format!("{:width$}  {formats:9}  {}", template.name, template.summary));
    }
    context.output.line("mongrate create NAME --template TEMPLATE [--format yaml|js]");
    let list: Vec<_> = TEMPLATES
        .iter()
        .map(|t| serde_json::json!({ "name": t.name, "formats": t.format_names(), "summary": t.summary }))
        .collect();
    context.output.json_value(&serde_json::json!({ "templates": list }));
    Ok(0)
}
