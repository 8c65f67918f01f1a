//! Driver errors as messages for people: the one place a `mongodb::error::Error` becomes words.
//!
//! The driver's own `Display` is a debugging dump (`Kind: …, labels: {}, source: None, server
//! response: Some(RawDocumentBuf { … })`), so nothing shown to a user may come from it; each kind
//! of error is worded here from its fields instead. A server's refusal reads
//! `IndexNotFound (27): index not found with name [email_1]`: the code's name, the code, and the
//! server's own message.

use std::error::Error as _;

use mongodb::error::{Error as DriverError, ErrorKind as DriverErrorKind, IndexedWriteError, WriteError, WriteFailure};
use mongrate_core::Error;

use crate::selection_failure::{describe_selection_failure, without_debug_dumps};

/// The server's code for a duplicate key (a unique index, or `_id`).
pub const DUPLICATE_KEY: i32 = 11000;

/// A database error with what was being done; the driver's error stays its source.
/// `Unavailable` when the server could not be reached (a service answers 503), `Database` when
/// it answered with a refusal.
pub fn server(doing: &str, error: &DriverError) -> Error {
    let unreachable = matches!(
        error.kind.as_ref(),
        DriverErrorKind::ServerSelection { .. }
            | DriverErrorKind::Io(_)
            | DriverErrorKind::ConnectionPoolCleared { .. }
            | DriverErrorKind::DnsResolve { .. }
    );
    let error_of = if unreachable { Error::unavailable } else { Error::database };
    error_of(format!("{doing}: {}", describe(error))).with_source(error.clone())
}

/// The error in words: the server's code, name and message for a refusal; the address and the
/// cause for a connection failure; never the driver's debugging dump.
pub fn describe(error: &DriverError) -> String {
    let text = match error.kind.as_ref() {
        DriverErrorKind::Command(command) => {
            server_failure(command.code, Some(command.code_name.as_str()), &command.message)
        }
        DriverErrorKind::Write(WriteFailure::WriteError(write)) => write_error(write),
        DriverErrorKind::Write(WriteFailure::WriteConcernError(concern)) => format!(
            "the write concern was not satisfied: {}",
            server_failure(concern.code, Some(concern.code_name.as_str()), &concern.message)
        ),
        DriverErrorKind::InsertMany(insert) => {
            let mut failures: Vec<(usize, String)> =
                insert.write_errors.iter().flatten().map(|e| (e.index, indexed_write_error(e))).collect();
            if let Some(concern) = &insert.write_concern_error {
                failures.push((usize::MAX, write_concern_failure(concern)));
            }
            several("document", failures)
        }
        DriverErrorKind::BulkWrite(bulk) => {
            let mut failures: Vec<(usize, String)> =
                bulk.write_errors.iter().map(|(index, e)| (*index, write_error(e))).collect();
            failures.extend(bulk.write_concern_errors.iter().map(|c| (usize::MAX, write_concern_failure(c))));
            several("operation", failures)
        }
        DriverErrorKind::ServerSelection { message, .. } => describe_selection_failure(message),
        DriverErrorKind::Io(io) => format!("network error: {io}"),
        DriverErrorKind::ConnectionPoolCleared { message, .. } => format!("the connection was lost: {message}"),
        DriverErrorKind::Authentication { message, .. } => {
            // The server's refusal, when there was one, says more than the mechanism's summary.
            match error.source().and_then(|source| source.downcast_ref::<DriverError>()) {
                Some(cause) if matches!(cause.kind.as_ref(), DriverErrorKind::Command(_)) => {
                    format!("authentication failed: {}", describe(cause))
                }
                _ => format!("authentication failed: {message}"),
            }
        }
        DriverErrorKind::InvalidArgument { message, .. } => message.clone(),
        DriverErrorKind::DnsResolve { message, .. } => format!("DNS lookup failed: {message}"),
        DriverErrorKind::Transaction { message, .. } => format!("transaction: {message}"),
        DriverErrorKind::InvalidResponse { message, .. } => {
            format!("the server sent a reply the driver cannot read: {message}")
        }
        DriverErrorKind::IncompatibleServer { message, .. } => format!("the server does not support this: {message}"),
        DriverErrorKind::SessionsNotSupported => "the server does not support sessions".to_owned(),
        DriverErrorKind::InvalidTlsConfig { message, .. } => format!("invalid TLS configuration: {message}"),
        DriverErrorKind::Bson(bson) => describe_bson(bson),
        DriverErrorKind::Internal { message, .. } => format!("internal error of the MongoDB driver: {message}"),
        DriverErrorKind::Shutdown => "the MongoDB client was shut down".to_owned(),
        DriverErrorKind::Custom(_) => match error.get_custom::<String>() {
            Some(text) => text.clone(),
            None => "an error of unknown kind".to_owned(),
        },
        // The kinds left (GridFS, change streams, future ones) word themselves; only the outer
        // error's `Display` is the dump.
        other => other.to_string(),
    };
    // Messages the driver composes may quote another error's dump (a server's failed heartbeat).
    without_debug_dumps(&text)
}

/// A BSON error in words (its `Display` is a dump too: `BSON error. Kind: …. Message: ….`): what
/// went wrong, the detail, and the key or index where.
pub fn describe_bson(error: &bson::error::Error) -> String {
    let mut text = error.kind.to_string();
    if let Some(message) = error.message.as_deref().filter(|m| !m.is_empty()) {
        text = format!("{text}: {message}");
    }
    match (&error.key, error.index) {
        (Some(key), _) => format!("{text} (at `{key}`)"),
        (None, Some(index)) => format!("{text} (at index {index})"),
        (None, None) => text,
    }
}

/// `CodeName (code): message`, the name from the reply or, when it has none (write errors
/// usually do not), from the codes every MongoDB-compatible server shares.
pub fn server_failure(code: i32, code_name: Option<&str>, message: &str) -> String {
    let name = code_name.filter(|name| !name.is_empty()).or_else(|| known_code_name(code));
    let head = match name {
        Some(name) => format!("{name} ({code})"),
        None => format!("error code {code}"),
    };
    if message.is_empty() { head } else { format!("{head}: {message}") }
}

/// The names of the server error codes a migration most often meets.
pub fn known_code_name(code: i32) -> Option<&'static str> {
    Some(match code {
        2 => "BadValue",
        9 => "FailedToParse",
        11 => "UserNotFound",
        13 => "Unauthorized",
        14 => "TypeMismatch",
        18 => "AuthenticationFailed",
        20 => "IllegalOperation",
        26 => "NamespaceNotFound",
        27 => "IndexNotFound",
        40 => "ConflictingUpdateOperators",
        48 => "NamespaceExists",
        50 => "MaxTimeMSExpired",
        59 => "CommandNotFound",
        66 => "ImmutableField",
        67 => "CannotCreateIndex",
        85 => "IndexOptionsConflict",
        86 => "IndexKeySpecsConflict",
        112 => "WriteConflict",
        115 => "CommandNotSupported",
        121 => "DocumentValidationFailure",
        251 => "NoSuchTransaction",
        263 => "OperationNotSupportedInTransaction",
        DUPLICATE_KEY => "DuplicateKey",
        _ => return None,
    })
}

fn write_error(write: &WriteError) -> String {
    server_failure(write.code, write.code_name.as_deref(), &write.message)
}

fn indexed_write_error(write: &IndexedWriteError) -> String {
    server_failure(write.code, write.code_name.as_deref(), &write.message)
}

fn write_concern_failure(concern: &mongodb::error::WriteConcernError) -> String {
    format!(
        "the write concern was not satisfied: {}",
        server_failure(concern.code, Some(concern.code_name.as_str()), &concern.message)
    )
}

/// The failures of a batch (`what` and its index, in order), the first in full.
fn several(what: &str, mut failures: Vec<(usize, String)>) -> String {
    failures.sort_by_key(|(index, _)| *index);
    let mut shown = failures.iter().map(|(index, text)| match index {
        &usize::MAX => text.clone(),
        index => format!("{what} {index}: {text}"),
    });
    let Some(first) = shown.next() else { return "the batch failed".to_owned() };
    match failures.len() - 1 {
        0 => first,
        more => format!("{first} (and {more} more)"),
    }
}

/// The server's error codes in an error (one per failed write of a batch).
pub fn codes(error: &DriverError) -> Vec<i32> {
    match error.kind.as_ref() {
        DriverErrorKind::Command(command) => vec![command.code],
        DriverErrorKind::Write(WriteFailure::WriteError(write)) => vec![write.code],
        DriverErrorKind::Write(WriteFailure::WriteConcernError(concern)) => vec![concern.code],
        DriverErrorKind::InsertMany(insert) => insert.write_errors.iter().flatten().map(|e| e.code).collect(),
        DriverErrorKind::BulkWrite(bulk) => bulk.write_errors.values().map(|e| e.code).collect(),
        _ => Vec::new(),
    }
}

/// A duplicate key error, as when the lease is held: by its code, which every server shares
/// (the wording differs between servers).
pub fn is_duplicate_key(error: &DriverError) -> bool {
    codes(error).contains(&DUPLICATE_KEY)
}

#[cfg(test)]
mod tests {
    use bson::doc;
    use mongodb::error::CommandError;

    use super::*;

    /// The markers of the driver's debugging dump.
    const DUMP_MARKERS: &[&str] =
        &["Kind:", "labels:", "source: None", "RawDocumentBuf", "server response:", "Error {"];

    fn assert_clean(text: &str) {
        for marker in DUMP_MARKERS {
            assert!(!text.contains(marker), "{marker:?} in {text:?}");
        }
    }

    fn command_error(reply: bson::Document) -> DriverError {
        let command: CommandError = bson::deserialize_from_document(reply).expect("a command error");
        DriverError::from(DriverErrorKind::Command(command))
    }

    #[test]
    fn a_command_error_reads_name_code_and_message() {
        let error = command_error(
            doc! { "code": 27, "codeName": "IndexNotFound", "errmsg": "index not found with name [email_1]" },
        );
        assert!(error.to_string().contains("Kind:"), "the driver's Display is the dump this module avoids");
        let text = describe(&error);
        assert_eq!(text, "IndexNotFound (27): index not found with name [email_1]");
        assert_eq!(
            server("dropIndex users email_1", &error).message,
            "dropIndex users email_1: IndexNotFound (27): index not found with name [email_1]"
        );
    }

    #[test]
    fn a_write_error_without_a_code_name_gets_the_known_one() {
        let write: WriteError = bson::deserialize_from_document(
            doc! { "code": 11000, "errmsg": "E11000 duplicate key error collection: app.users index: _id_" },
        )
        .expect("a write error");
        let error = DriverError::from(DriverErrorKind::Write(WriteFailure::WriteError(write)));
        let text = describe(&error);
        assert_eq!(text, "DuplicateKey (11000): E11000 duplicate key error collection: app.users index: _id_");
        assert!(is_duplicate_key(&error));
        assert_clean(&text);
    }

    #[test]
    fn duplicate_keys_are_known_by_code_not_by_wording() {
        let worded_otherwise = command_error(doc! { "code": 11000, "codeName": "DuplicateKey", "errmsg": "dup" });
        assert!(is_duplicate_key(&worded_otherwise));
        let only_the_words =
            command_error(doc! { "code": 2, "codeName": "BadValue", "errmsg": "E11000 duplicate key" });
        assert!(!is_duplicate_key(&only_the_words));
    }

    #[test]
    fn unknown_codes_and_empty_messages() {
        assert_eq!(server_failure(424242, None, "odd"), "error code 424242: odd");
        assert_eq!(server_failure(424242, Some(""), ""), "error code 424242");
        assert_eq!(server_failure(27, Some("IndexNotFound"), ""), "IndexNotFound (27)");
        assert_eq!(server_failure(9001, Some("SocketException"), "gone"), "SocketException (9001): gone");
    }

    #[test]
    fn network_and_custom_errors_are_plain_words() {
        let io = DriverError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let text = describe(&io);
        assert!(text.starts_with("network error: "), "{text}");
        assert_clean(&text);
        let custom = DriverError::custom("a find reply without cursor.firstBatch".to_owned());
        assert_eq!(describe(&custom), "a find reply without cursor.firstBatch");
    }

    #[test]
    fn bson_errors_are_plain_words() {
        let error = bson::oid::ObjectId::parse_str("not-an-id").unwrap_err();
        assert!(error.to_string().contains("Kind:"), "the crate's Display is a dump");
        let text = describe_bson(&error);
        assert!(text.starts_with("An ObjectId-related error occurred: "), "{text}");
        assert_clean(&text);
        let error = bson::Bson::try_from(serde_json::json!({ "a": { "$oid": "short" } })).unwrap_err();
        assert_clean(&describe_bson(&error));
    }

    #[tokio::test]
    async fn a_bad_port_in_a_url_names_the_port() {
        let error = mongodb::options::ClientOptions::parse("mongodb://x:secret@h:bad/db").await.unwrap_err();
        let text = describe(&error);
        assert!(text.contains("the port must be an integer between 1 and 65535, got bad"), "{text}");
        assert!(!text.contains("secret"), "{text}");
        assert_clean(&text);
    }

    #[test]
    fn batches_show_the_first_failure_and_count_the_rest() {
        let failures = vec![(3, "B".to_owned()), (1, "A".to_owned()), (usize::MAX, "C".to_owned())];
        assert_eq!(several("document", failures), "document 1: A (and 2 more)");
        assert_eq!(several("operation", vec![(0, "A".to_owned())]), "operation 0: A");
        assert_eq!(several("operation", Vec::new()), "the batch failed");
    }
}
