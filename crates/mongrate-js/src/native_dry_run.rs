//! The native side of a dry-run's data loops: `eachBatch` and the helpers built on it report one
//! line each (what they are, the documents they would process, samples of what they would change)
//! instead of a line per write they would send.

use std::rc::Rc;

use bson::Bson;
use mongrate_core::execution::DocumentSample;
use rquickjs::function::Func;
use rquickjs::{Array, Ctx, Exception, Object, Value};

use crate::bson_convert::{BsonClasses, to_document};
use crate::host_state::HostState;

/// A sample's document as relaxed extended JSON (what the report shows).
fn json_of<'js>(classes: &BsonClasses<'js>, value: &Value<'js>, what: &str) -> Result<serde_json::Value, String> {
    Ok(Bson::Document(to_document(classes, value, what)?).into_relaxed_extjson())
}

fn samples_of<'js>(ctx: &Ctx<'js>, samples: Array<'js>) -> rquickjs::Result<Vec<DocumentSample>> {
    let classes = BsonClasses::new(ctx)?;
    let mut out = Vec::with_capacity(samples.len());
    for sample in samples.iter::<Object<'js>>() {
        let sample = sample?;
        let before = json_of(&classes, &sample.get("before")?, "a sample document");
        let after = json_of(&classes, &sample.get("after")?, "a transformed sample document");
        match (before, after) {
            (Ok(before), Ok(after)) => out.push(DocumentSample { before, after }),
            (Err(why), _) | (_, Err(why)) => return Err(Exception::throw_type(ctx, &why)),
        }
    }
    Ok(out)
}

/// Adds a loop's line to the dry-run's report (nothing outside a dry-run).
fn report<'js>(ctx: Ctx<'js>, state: &HostState, line: Object<'js>) -> rquickjs::Result<()> {
    let Some(log) = &state.dry_run else { return Ok(()) };
    let samples = match line.get::<_, Option<Array<'js>>>("samples")? {
        Some(samples) => Some(samples_of(&ctx, samples)?).filter(|found| !found.is_empty()),
        None => None,
    };
    let affected = line.get::<_, Option<f64>>("affected")?.filter(|n| *n >= 0.0).map(|n| n as u64);
    log.add(
        &line.get::<_, Option<String>>("stack")?.unwrap_or_default(),
        line.get::<_, Option<String>>("summary")?.unwrap_or_default(),
        affected,
        line.get("note")?,
        samples,
    );
    Ok(())
}

/// Puts `dryRunLoop` on `__mongrate.native`.
pub fn install<'js>(native: &Object<'js>, state: &Rc<HostState>) -> rquickjs::Result<()> {
    let s = state.clone();
    native.set("dryRunLoop", Func::from(move |ctx: Ctx<'js>, line: Object<'js>| report(ctx, &s, line)))?;
    Ok(())
}
