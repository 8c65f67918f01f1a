//! What the server can do, learned at connect time from `hello` and `buildInfo`.

use bson::{Bson, Document, doc};
use mongodb::Database;
use mongrate_core::target::{DocumentServerInfo, ServerInfo};
use mongrate_core::{Error, Result, TargetKind};
use serde::Serialize;

/// The server's version and features that change how mongrate runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub version: String,
    pub ferretdb: bool,
    /// A replica set member or a mongos: multi-document transactions are possible.
    pub transactions: bool,
    /// Update pipelines (`updateMany` with a list of stages).
    pub update_pipelines: bool,
    /// Aggregations ending in `$out` and `$merge` (MongoDB 4.2 and later): backups are copied on
    /// the server. FerretDB has neither, so backups are streamed through mongrate there.
    pub server_side_copy: bool,
    /// Milliseconds to add to this machine's clock to get the server's (from `hello.localTime`).
    pub clock_offset_ms: i64,
}

/// Asks the server.
pub async fn detect(admin: &Database) -> Result<Capabilities> {
    let sent = mongrate_core::timestamp::now_millis();
    let hello = admin
        .run_command(doc! { "hello": 1 })
        .await
        .map_err(|e| crate::errors::server("asking the server who it is", &e))?;
    let received = mongrate_core::timestamp::now_millis();
    let build = admin
        .run_command(doc! { "buildInfo": 1 })
        .await
        .map_err(|e| crate::errors::server("reading the server version", &e))?;
    let version = build.get_str("version").unwrap_or("unknown").to_owned();
    let ferretdb = mentions_ferretdb(&build) || mentions_ferretdb(&hello);
    let replicated = hello.contains_key("setName") || hello.get_str("msg").is_ok_and(|m| m == "isdbgrid");
    let clock_offset_ms = match hello.get("localTime") {
        // The server's clock may say anything (a DateTime of i64::MIN): saturate, never overflow.
        Some(Bson::DateTime(at)) => at.timestamp_millis().saturating_sub((sent + received) / 2),
        _ => 0,
    };
    let mut numbers = version.split('.').map(|part| part.parse::<u32>().unwrap_or(0));
    let major = numbers.next().unwrap_or(0);
    let minor = numbers.next().unwrap_or(0);
    Ok(Capabilities {
        version,
        ferretdb,
        transactions: replicated && !ferretdb,
        update_pipelines: !ferretdb && major >= 4,
        server_side_copy: !ferretdb && (major, minor) >= (4, 2),
        clock_offset_ms,
    })
}

fn mentions_ferretdb(document: &Document) -> bool {
    document.iter().any(|(key, value)| {
        key.to_ascii_lowercase().contains("ferretdb")
            || matches!(value, Bson::String(text) if text.to_ascii_lowercase().contains("ferretdb"))
            || matches!(value, Bson::Document(inner) if mentions_ferretdb(inner))
    })
}

impl Capabilities {
    /// What `status` shows of the server.
    pub fn server_info(&self) -> ServerInfo {
        ServerInfo {
            kind: TargetKind::Mongodb,
            version: self.version.clone(),
            transactions: self.transactions,
            document_server: Some(DocumentServerInfo {
                ferretdb: self.ferretdb,
                update_pipelines: self.update_pipelines,
            }),
        }
    }

    /// An error for a feature this server lacks.
    pub fn unsupported(&self, what: &str) -> Error {
        let server = if self.ferretdb { "FerretDB" } else { "this server" };
        Error::migration(format!("{what} is not supported by {server} (version {})", self.version))
    }
}
