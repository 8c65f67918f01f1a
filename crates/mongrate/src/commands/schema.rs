//! `mongrate schema census [collection…] [--field F]`: how many documents of each collection carry
//! each version of the version field, and how many carry none (MongoDB only).

use mongrate_core::backup::BACKUP_PREFIX;
use mongrate_core::checkpoint::thousands;
use mongrate_core::config::Settings;
use mongrate_core::{Error, Result};
use mongrate_mongo::MongoTarget;
use mongrate_mongo::census::{Census, CensusTaker};

use crate::cli::CensusArgs;
use crate::commands::Context;

pub async fn census(context: &Context, args: &CensusArgs) -> Result<i32> {
    let settings = &context.settings;
    let field = match &args.field {
        Some(field) => {
            let field = field.trim().to_owned();
            mongrate_mongo::document_versions::check_field(&field)
                .map_err(|why| Error::config(format!("--field: {why}")))?;
            field
        }
        None => settings.schema.field.clone(),
    };
    let taker = connect(settings).await?;
    let collections = if args.collections.is_empty() {
        taker.collections(|name| !is_own_collection(settings, name)).await?
    } else {
        args.collections.iter().map(|name| name.trim().to_owned()).collect()
    };
    let censuses = taker.take(&collections, &field).await?;
    context.output.json_value(&serde_json::json!({ "field": field, "collections": censuses }));
    if censuses.is_empty() {
        context.output.line("no collections to count");
    }
    for (index, census) in censuses.iter().enumerate() {
        if index > 0 {
            context.output.line("");
        }
        context.output.line(render(census));
    }
    Ok(0)
}

/// The database of a MongoDB URL; any other URL is refused with what the command is for.
pub async fn connect(settings: &Settings) -> Result<CensusTaker> {
    let url = settings.url()?;
    if !MongoTarget::handles(url) {
        return Err(Error::config(format!(
            "`schema census` is a MongoDB command: it counts the documents of collections by their version field, \
             and the URL from {} is not a MongoDB URL (mongodb://…)",
            settings.url_source
        )));
    }
    CensusTaker::connect(url, settings.database.as_deref(), settings.connect_timeout).await
}

/// mongrate's own collections (changelog, history, lock, backups) and an adopted migrate-mongo
/// project's: not counted when no collection is named.
fn is_own_collection(settings: &Settings, name: &str) -> bool {
    let names = &settings.names;
    let own = [&names.migrations, &names.history, &names.lock, &names.backups];
    let adopted = settings.migrate_mongo.iter().flat_map(|m| [&m.changelog, &m.lock]);
    own.into_iter().chain(adopted).any(|own| own == name) || name.starts_with(BACKUP_PREFIX)
}

/// One collection's census as a small table: version, (type,) documents, share.
pub fn render(census: &Census) -> String {
    if !census.exists {
        return format!("{}: no such collection", census.collection);
    }
    let documents = if census.total == 1 { "document" } else { "documents" };
    let mut text = format!("{} ({}): {} {documents}", census.collection, census.field, thousands(census.total));
    if census.total == 0 {
        return text;
    }
    let typed = census.versions.iter().any(|v| !v.is_number());
    let mut rows: Vec<[String; 4]> = census
        .versions
        .iter()
        .map(|v| {
            [
                v.shown(),
                if typed { v.type_name.clone() } else { String::new() },
                thousands(v.count),
                share(v.count, census.total),
            ]
        })
        .collect();
    if census.none > 0 {
        rows.push(["(none)".to_owned(), String::new(), thousands(census.none), share(census.none, census.total)]);
    }
    let headers = ["VERSION", if typed { "TYPE" } else { "" }, "DOCUMENTS", "SHARE"];
    let width = |column: usize| {
        rows.iter().map(|r| r[column].chars().count()).chain([headers[column].len()]).max().unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2), width(3)];
    let line = |cells: [&str; 4]| {
        let mut line = format!("  {:<w0$}  ", cells[0], w0 = widths[0]);
        if typed {
            line.push_str(&format!("{:<w1$}  ", cells[1], w1 = widths[1]));
        }
        line.push_str(&format!("{:>w2$}  {:>w3$}", cells[2], cells[3], w2 = widths[2], w3 = widths[3]));
        line
    };
    text.push('\n');
    text.push_str(&line(headers));
    for row in &rows {
        text.push('\n');
        text.push_str(&line([&row[0], &row[1], &row[2], &row[3]]));
    }
    text
}

/// A compact line for `status`: `users: 700 at 2, 250 at 3, 50 without schema_version`.
pub fn summary_line(census: &Census) -> String {
    if !census.exists {
        return format!("{}: no such collection", census.collection);
    }
    if census.total == 0 {
        return format!("{}: no documents", census.collection);
    }
    let mut parts: Vec<String> = census
        .versions
        .iter()
        .map(|v| {
            let typed = if v.is_number() { String::new() } else { format!(" ({})", v.type_name) };
            format!("{} at {}{typed}", thousands(v.count), v.shown())
        })
        .collect();
    if census.none > 0 {
        parts.push(format!("{} without {}", thousands(census.none), census.field));
    }
    format!("{}: {}", census.collection, parts.join(", "))
}

fn share(count: u64, total: u64) -> String {
    format!("{:.1}%", count as f64 * 100.0 / total.max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongrate_mongo::census::VersionCount;

    fn census(versions: Vec<VersionCount>, none: u64) -> Census {
        let total = versions.iter().map(|v| v.count).sum::<u64>() + none;
        Census { collection: "users".into(), field: "schema_version".into(), exists: true, total, versions, none }
    }

    fn version(value: serde_json::Value, type_name: &str, count: u64) -> VersionCount {
        VersionCount { version: value, type_name: type_name.into(), count }
    }

    #[test]
    fn numbers_alone_need_no_type_column() {
        let text = render(&census(vec![version(2.into(), "int", 700), version(3.into(), "int", 2500)], 50));
        assert_eq!(
            text,
            "users (schema_version): 3,250 documents\n\
             \x20 VERSION  DOCUMENTS  SHARE\n\
             \x20 2              700  21.5%\n\
             \x20 3            2,500  76.9%\n\
             \x20 (none)          50   1.5%"
        );
        assert_eq!(
            summary_line(&census(vec![version(2.into(), "int", 7)], 3)),
            "users: 7 at 2, 3 without schema_version"
        );
    }

    #[test]
    fn a_version_that_is_not_a_number_shows_its_type() {
        let text = render(&census(vec![version(2.into(), "int", 1), version("2".into(), "string", 1)], 0));
        assert!(text.contains("TYPE") && text.contains("\"2\"      string"), "{text}");
        // The README's example.
        let readme = census(vec![version(2.into(), "int", 20), version("2".into(), "string", 1)], 4);
        assert_eq!(
            render(&readme),
            "users (schema_version): 25 documents\n\
             \x20 VERSION  TYPE    DOCUMENTS  SHARE\n\
             \x20 2        int            20  80.0%\n\
             \x20 \"2\"      string          1   4.0%\n\
             \x20 (none)                   4  16.0%"
        );
        assert_eq!(summary_line(&readme), "users: 20 at 2, 1 at \"2\" (string), 4 without schema_version");
        let missing = Census { exists: false, ..census(Vec::new(), 0) };
        assert_eq!(render(&missing), "users: no such collection");
        assert_eq!(render(&census(Vec::new(), 0)), "users (schema_version): 0 documents");
    }
}
