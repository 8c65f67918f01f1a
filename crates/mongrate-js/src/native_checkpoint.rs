//! The native side of resumable batch loops: a loop's stored state, saving it after a batch
//! (in the batch's transaction where there is one), and reporting its progress.

use std::rc::Rc;

use mongrate_mongo::checkpoint::SaveFailure;
use rquickjs::function::{Async, Func, Opt};
use rquickjs::{Ctx, Object, Value};

use crate::bson_convert::{BsonClasses, document_to_js, to_document};
use crate::console::LoopProgress;
use crate::host_state::HostState;
use crate::native::{driver_error, error_object, shared_session};

/// The state loop `index` stopped at in an earlier run, or `undefined`.
fn state_of<'js>(ctx: Ctx<'js>, state: &HostState, index: u32) -> rquickjs::Result<Value<'js>> {
    let Some(stored) = state.checkpoints.as_ref().and_then(|c| c.state(index as usize)) else {
        return Ok(Value::new_undefined(ctx));
    };
    let classes = BsonClasses::new(&ctx)?;
    Ok(document_to_js(&ctx, &classes, stored, false)?.into_value())
}

/// Saves loop `index`'s state; `null`, or an error object (a lost lease marks the step so).
async fn save<'js>(
    ctx: Ctx<'js>,
    state: Rc<HostState>,
    index: u32,
    loop_state: Value<'js>,
    session: u32,
) -> rquickjs::Result<Value<'js>> {
    let failed = |message: &str| Ok(error_object(&ctx, "driver", message)?.into_value());
    let Some(checkpoints) = state.checkpoints.as_ref() else {
        return Ok(Value::new_null(ctx.clone()));
    };
    let classes = BsonClasses::new(&ctx)?;
    let document = match to_document(&classes, &loop_state, "a batch loop's checkpoint") {
        Ok(document) => document,
        Err(why) => return failed(&why),
    };
    let saved = if session == 0 {
        checkpoints.save_raw(index as usize, document, None).await
    } else {
        let shared = match shared_session(&state, session) {
            Ok(shared) => shared,
            Err(why) => return failed(&why),
        };
        let mut guard = shared.lock().await;
        match guard.as_mut() {
            Some(session) => checkpoints.save_raw(index as usize, document, Some(session)).await,
            None => return failed("the batch's session has ended"),
        }
    };
    match saved {
        Ok(()) => Ok(Value::new_null(ctx.clone())),
        Err(SaveFailure::LeaseLost) => {
            state.lease_lost.set(true);
            failed(&checkpoints.save_error(SaveFailure::LeaseLost).message)
        }
        // As the driver's error: a write conflict keeps its TransientTransactionError label, so
        // the batch's transaction runs again.
        Err(SaveFailure::Server(error)) => driver_error(&ctx, &error),
    }
}

/// Puts the checkpoint functions on `__mongrate.native`.
pub fn install<'js>(native: &Object<'js>, state: &Rc<HostState>) -> rquickjs::Result<()> {
    native.set("checkpointed", state.checkpoints.is_some())?;
    native.set("transactions", state.capabilities.as_ref().is_some_and(|c| c.transactions))?;
    let s = state.clone();
    native.set("checkpointState", Func::from(move |ctx: Ctx<'js>, index: u32| state_of(ctx, &s, index)))?;
    let s = state.clone();
    native.set(
        "saveCheckpoint",
        Func::from(Async(move |ctx: Ctx<'js>, index: u32, loop_state: Value<'js>, session: Opt<u32>| {
            save(ctx, s.clone(), index, loop_state, session.0.unwrap_or(0))
        })),
    )?;
    let s = state.clone();
    native.set(
        "leaseLost",
        Func::from(move || {
            let lost = s.checkpoints.as_ref().is_some_and(|c| c.ensure_lease().is_err());
            // The step then fails as a lost lease, not as a failed migration.
            if lost {
                s.lease_lost.set(true);
            }
            lost
        }),
    )?;
    let s = state.clone();
    native.set(
        "progress",
        Func::from(move |progress: Object<'js>| -> rquickjs::Result<()> {
            let count =
                |key: &str| -> rquickjs::Result<u64> { Ok(progress.get::<_, Option<f64>>(key)?.unwrap_or(0.0) as u64) };
            let report = LoopProgress {
                index: count("index")? as usize,
                label: progress.get::<_, Option<String>>("label")?.unwrap_or_default(),
                processed: count("processed")?,
                total: progress.get::<_, Option<f64>>("total")?.map(|t| t as u64),
                processed_now: count("processedNow")?,
                elapsed_ms: count("elapsedMs")?,
                done: progress.get::<_, Option<bool>>("done")?.unwrap_or(false),
            };
            let file =
                s.migration_path.borrow().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            s.console.progress(&file, &report);
            Ok(())
        }),
    )?;
    Ok(())
}
