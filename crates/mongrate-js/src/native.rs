//! The host functions the prelude's driver API is built on: a command, a cursor, a session,
//! and the small things JavaScript cannot do by itself here (ids, decimals, files, sleep).

use std::rc::Rc;
use std::time::Duration;

use base64::Engine as _;
use bson::oid::ObjectId;
use bson::{Decimal128, Document};
use mongodb::error::{Error as DriverError, ErrorKind as DriverErrorKind, WriteFailure};
use mongodb::{Client, ClientSession, Database};
use mongrate_mongo::errors::{describe, known_code_name};
use rquickjs::function::{Async, Func, Opt};
use rquickjs::{Array, Ctx, Exception, Object, TypedArray, Value};

use crate::bson_convert::{BsonClasses, document_to_js, to_document, typed_bytes};
use crate::console::ConsoleLevel;
use crate::dry_run::Preview;
use crate::host_state::{HostState, OpenCursor, SharedSession};
use crate::read_ahead::{ReadAheadCursor, ReadFailure};

/// An error the prelude turns into the Node driver's error class (`kind`: server, network, driver).
pub(crate) fn error_object<'js>(ctx: &Ctx<'js>, kind: &str, message: &str) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("__error", true)?;
    object.set("kind", kind)?;
    object.set("message", message)?;
    Ok(object)
}

/// A driver error as the Node driver's: a server's refusal keeps the server's message with its
/// `code` and `codeName`; anything else gets mongrate's wording of the error (never the driver's
/// debugging dump).
pub(crate) fn driver_error<'js>(ctx: &Ctx<'js>, error: &DriverError) -> rquickjs::Result<Value<'js>> {
    let named = |code: i32, name: Option<&str>| {
        name.filter(|n| !n.is_empty()).or_else(|| known_code_name(code)).map(str::to_owned)
    };
    let (kind, message, code, code_name) = match error.kind.as_ref() {
        DriverErrorKind::Command(command) => {
            ("server", command.message.clone(), Some(command.code), named(command.code, Some(&command.code_name)))
        }
        DriverErrorKind::Write(WriteFailure::WriteError(write)) => {
            ("server", write.message.clone(), Some(write.code), named(write.code, write.code_name.as_deref()))
        }
        DriverErrorKind::Write(WriteFailure::WriteConcernError(concern)) => {
            ("server", concern.message.clone(), Some(concern.code), named(concern.code, Some(&concern.code_name)))
        }
        DriverErrorKind::Io(_)
        | DriverErrorKind::ConnectionPoolCleared { .. }
        | DriverErrorKind::ServerSelection { .. } => ("network", describe(error), None, None),
        _ => ("driver", describe(error), None, None),
    };
    let object = error_object(ctx, kind, &message)?;
    if let Some(code) = code {
        object.set("code", code)?;
    }
    if let Some(name) = code_name {
        object.set("codeName", name)?;
    }
    let labels = Array::new(ctx.clone())?;
    for (index, label) in error.labels().iter().enumerate() {
        labels.set(index, label.as_str())?;
    }
    object.set("errorLabels", labels)?;
    Ok(object.into_value())
}

fn plain_error<'js>(ctx: &Ctx<'js>, message: &str) -> rquickjs::Result<Value<'js>> {
    Ok(error_object(ctx, "driver", message)?.into_value())
}

fn database_of(state: &HostState, name: &str) -> Result<Database, String> {
    match &state.database {
        Some(database) => Ok(database.client().database(name)),
        None => Err("no database is connected while mongrate reads the migration's exports; \
                     touch the database only inside up() and down()"
            .to_owned()),
    }
}

/// The session behind `id`, started on the server at first use.
async fn session_of<'a>(
    guard: &'a mut tokio::sync::MutexGuard<'_, Option<ClientSession>>,
    client: &Client,
) -> Result<&'a mut ClientSession, DriverError> {
    if guard.is_none() {
        **guard = Some(client.start_session().await?);
    }
    Ok(guard.as_mut().expect("the session was just started"))
}

pub(crate) fn shared_session(state: &HostState, id: u32) -> Result<SharedSession, String> {
    state.sessions.borrow().get(&id).cloned().ok_or_else(|| "the session has ended".to_owned())
}

/// Where a command came from, for a dry-run's plan line: what the migration called, and the
/// stack at the call.
struct CallSite {
    label: String,
    stack: String,
}

async fn command<'js>(
    ctx: Ctx<'js>,
    state: Rc<HostState>,
    db_name: String,
    body: Value<'js>,
    session: u32,
    promote: bool,
    site: CallSite,
) -> rquickjs::Result<Value<'js>> {
    let classes = BsonClasses::new(&ctx)?;
    let body = match to_document(&classes, &body, "a command") {
        Ok(body) => body,
        Err(why) => return plain_error(&ctx, &why),
    };
    let database = match database_of(&state, &db_name) {
        Ok(database) => database,
        Err(why) => return plain_error(&ctx, &why),
    };
    if let Some(log) = &state.dry_run {
        match log.preview(&database, &body, &site.label, &site.stack).await {
            Ok(Preview::Run) => {}
            Ok(Preview::Reply(reply)) => return Ok(document_to_js(&ctx, &classes, &reply, promote)?.into_value()),
            Err(error) => return driver_error(&ctx, &error),
        }
    }
    let result = if session == 0 {
        database.run_command(body).await
    } else {
        let shared = match shared_session(&state, session) {
            Ok(shared) => shared,
            Err(why) => return plain_error(&ctx, &why),
        };
        let mut guard = shared.lock().await;
        match session_of(&mut guard, database.client()).await {
            Ok(session) => database.run_command(body).session(session).await,
            Err(error) => Err(error),
        }
    };
    match result {
        Ok(reply) => Ok(document_to_js(&ctx, &classes, &reply, promote)?.into_value()),
        Err(error) => driver_error(&ctx, &error),
    }
}

async fn open_cursor<'js>(
    ctx: Ctx<'js>,
    state: Rc<HostState>,
    db_name: String,
    body: Value<'js>,
    session: u32,
) -> rquickjs::Result<Value<'js>> {
    let classes = BsonClasses::new(&ctx)?;
    let body = match to_document(&classes, &body, "a command") {
        Ok(body) => body,
        Err(why) => return plain_error(&ctx, &why),
    };
    let database = match database_of(&state, &db_name) {
        Ok(database) => database,
        Err(why) => return plain_error(&ctx, &why),
    };
    let mut opened = None;
    if let Some(log) = &state.dry_run {
        match log.preview(&database, &body, "", "").await {
            Ok(Preview::Run) => {}
            Ok(Preview::Reply(_)) => opened = Some(Ok(OpenCursor::Empty)),
            Err(error) => return driver_error(&ctx, &error),
        }
    }
    let opened = match opened {
        Some(opened) => opened,
        None if session == 0 => {
            database.run_cursor_command(body).await.map(|cursor| OpenCursor::Implicit(ReadAheadCursor::new(cursor)))
        }
        None => {
            let shared = match shared_session(&state, session) {
                Ok(shared) => shared,
                Err(why) => return plain_error(&ctx, &why),
            };
            let mut guard = shared.lock().await;
            let cursor = match session_of(&mut guard, database.client()).await {
                Ok(session) => database.run_cursor_command(body).session(session).await,
                Err(error) => Err(error),
            };
            drop(guard);
            cursor.map(|cursor| OpenCursor::InSession(Box::new(cursor), shared))
        }
    };
    match opened {
        Ok(cursor) => {
            let id = state.next_id();
            state.cursors.borrow_mut().insert(id, Rc::new(tokio::sync::Mutex::new(cursor)));
            Ok(Value::new_int(ctx, id as i32))
        }
        Err(error) => driver_error(&ctx, &error),
    }
}

/// Up to `max` documents; `done` once the cursor is exhausted (it is then forgotten). With
/// `fingerprints`, also each document's fingerprint, in order (a batch loop's crash evidence).
async fn next_batch<'js>(
    ctx: Ctx<'js>,
    state: Rc<HostState>,
    id: u32,
    max: u32,
    fingerprints: bool,
) -> rquickjs::Result<Value<'js>> {
    let Some(shared) = state.cursors.borrow().get(&id).cloned() else {
        return plain_error(&ctx, "the cursor is closed");
    };
    let mut documents: Vec<Document> = Vec::new();
    let mut done = false;
    {
        let mut cursor = shared.lock().await;
        let read = async {
            match &mut *cursor {
                OpenCursor::Implicit(cursor) => match cursor.next_batch(max as usize).await {
                    Ok(batch) => {
                        documents = batch.documents;
                        done = batch.done;
                    }
                    Err(failure) => return Err(failure),
                },
                OpenCursor::InSession(cursor, session) => {
                    let mut guard = session.lock().await;
                    let Some(session) = guard.as_mut() else {
                        done = true;
                        return Ok(());
                    };
                    while documents.len() < max as usize {
                        if !cursor.advance(session).await? {
                            done = true;
                            break;
                        }
                        documents.push(cursor.deserialize_current()?);
                    }
                }
                OpenCursor::Empty => done = true,
            }
            Ok::<(), ReadFailure>(())
        };
        if let Err(failure) = read.await {
            drop(cursor);
            state.cursors.borrow_mut().remove(&id);
            return match failure {
                ReadFailure::Driver(error) => driver_error(&ctx, &error),
                ReadFailure::Lost(why) => plain_error(&ctx, &why),
            };
        }
    }
    if done {
        state.cursors.borrow_mut().remove(&id);
    }
    let classes = BsonClasses::new(&ctx)?;
    let array = Array::new(ctx.clone())?;
    for (index, document) in documents.iter().enumerate() {
        array.set(index, document_to_js(&ctx, &classes, document, false)?)?;
    }
    let batch = Object::new(ctx.clone())?;
    batch.set("documents", array)?;
    batch.set("done", done)?;
    if fingerprints {
        batch.set("fingerprints", documents.iter().map(mongrate_mongo::checkpoint::fingerprint).collect::<Vec<_>>())?;
    }
    Ok(batch.into_value())
}

async fn transaction<'js>(
    ctx: Ctx<'js>,
    state: Rc<HostState>,
    id: u32,
    action: String,
) -> rquickjs::Result<Value<'js>> {
    if state.dry_run.is_some() {
        return Ok(Value::new_null(ctx));
    }
    let shared = match shared_session(&state, id) {
        Ok(shared) => shared,
        Err(why) => return plain_error(&ctx, &why),
    };
    let client = match &state.database {
        Some(database) => database.client().clone(),
        None => return plain_error(&ctx, "no database is connected"),
    };
    let mut guard = shared.lock().await;
    let result = match session_of(&mut guard, &client).await {
        Ok(session) => match action.as_str() {
            "start" => session.start_transaction().await,
            "commit" => session.commit_transaction().await,
            _ => session.abort_transaction().await,
        },
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(Value::new_null(ctx)),
        Err(error) => driver_error(&ctx, &error),
    }
}

fn throw_type(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    Exception::throw_type(ctx, message)
}

fn bytes_of(array: &TypedArray<'_, u8>) -> Vec<u8> {
    typed_bytes(array).unwrap_or_default()
}

/// Puts the native functions on `__mongrate.native`.
pub fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>, state: &Rc<HostState>) -> rquickjs::Result<()> {
    let s = state.clone();
    native.set(
        "command",
        Func::from(Async(
            move |ctx: Ctx<'js>,
                  db: String,
                  body: Value<'js>,
                  session: u32,
                  promote: bool,
                  label: String,
                  stack: String| {
                command(ctx, s.clone(), db, body, session, promote, CallSite { label, stack })
            },
        )),
    )?;
    let s = state.clone();
    native.set(
        "openCursor",
        Func::from(Async(move |ctx: Ctx<'js>, db: String, body: Value<'js>, session: u32| {
            open_cursor(ctx, s.clone(), db, body, session)
        })),
    )?;
    let s = state.clone();
    native.set(
        "nextBatch",
        Func::from(Async(move |ctx: Ctx<'js>, id: u32, max: u32, fingerprints: Opt<bool>| {
            next_batch(ctx, s.clone(), id, max, fingerprints.0.unwrap_or(false))
        })),
    )?;
    let s = state.clone();
    native.set(
        "closeCursor",
        Func::from(move |id: u32| {
            s.cursors.borrow_mut().remove(&id);
        }),
    )?;
    let s = state.clone();
    native.set(
        "startSession",
        Func::from(move || {
            let id = s.next_id();
            s.sessions.borrow_mut().insert(id, Rc::new(tokio::sync::Mutex::new(None)));
            id
        }),
    )?;
    let s = state.clone();
    native.set(
        "endSession",
        Func::from(move |id: u32| {
            s.sessions.borrow_mut().remove(&id);
        }),
    )?;
    let s = state.clone();
    native.set(
        "transaction",
        Func::from(Async(move |ctx: Ctx<'js>, id: u32, action: String, _options: Value<'js>| {
            transaction(ctx, s.clone(), id, action)
        })),
    )?;
    native.set("newObjectId", Func::from(|| ObjectId::new().to_hex()))?;
    native.set("randomUuid", Func::from(|| uuid::Uuid::new_v4().simple().to_string()))?;
    native.set(
        "decimalToString",
        Func::from(|ctx: Ctx<'js>, bytes: TypedArray<'js, u8>| {
            let bytes: [u8; 16] =
                bytes_of(&bytes).try_into().map_err(|_| throw_type(&ctx, "a Decimal128 has 16 bytes"))?;
            Ok::<_, rquickjs::Error>(Decimal128::from_bytes(bytes).to_string())
        }),
    )?;
    native.set(
        "decimalFromString",
        Func::from(|ctx: Ctx<'js>, text: String| {
            let decimal: Decimal128 =
                text.parse().map_err(|_| throw_type(&ctx, &format!("'{text}' is not a valid Decimal128 string")))?;
            TypedArray::<u8>::new_copy(ctx.clone(), decimal.bytes())
        }),
    )?;
    native.set(
        "base64Encode",
        Func::from(|bytes: TypedArray<'js, u8>| base64::engine::general_purpose::STANDARD.encode(bytes_of(&bytes))),
    )?;
    native.set(
        "base64Decode",
        Func::from(|ctx: Ctx<'js>, text: String| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| throw_type(&ctx, &format!("invalid base64: {e}")))?;
            TypedArray::<u8>::new(ctx.clone(), bytes)
        }),
    )?;
    let s = state.clone();
    native.set(
        "log",
        Func::from(move |level: String, text: String| {
            let file =
                s.migration_path.borrow().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            s.console.line(&file, ConsoleLevel::parse(&level), &text);
        }),
    )?;
    native.set(
        "sleep",
        Func::from(Async(|ms: f64| async move {
            tokio::time::sleep(Duration::from_secs_f64(ms.max(0.0) / 1000.0)).await;
        })),
    )?;
    crate::native_checkpoint::install(native, state)?;
    crate::native_dry_run::install(native, state)?;
    crate::native_backup::install(native, state)?;
    native.set("dryRun", state.dry_run.is_some())?;
    native.set("ambientSession", state.ambient_session)?;
    native.set("maxPerSecond", state.max_per_second)?;
    native.set("maxWritesPerCommand", state.max_writes_per_command())?;
    native.set("maxInsertsPerCommand", 1000)?;
    let database_name = state.database.as_ref().map(|d| d.name().to_owned()).unwrap_or_default();
    native.set("databaseName", database_name)?;
    let env = Object::new(ctx.clone())?;
    for (key, value) in std::env::vars() {
        env.set(key, value)?;
    }
    native.set("env", env)?;
    native.set("platform", std::env::consts::OS)?;
    native.set("version", env!("CARGO_PKG_VERSION"))?;
    native.set("cwd", std::env::current_dir().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default())?;
    Ok(())
}
