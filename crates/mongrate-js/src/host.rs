//! One JavaScript context ready for a migration: the runtime (with the module loader and an
//! interrupt check), the prelude, and loading a migration's exports.

use std::path::Path;
use std::rc::Rc;

use rquickjs::context::EvalOptions;
use rquickjs::{AsyncContext, AsyncRuntime, Ctx, Function, Module, Object, Value};

use crate::host_state::HostState;
use crate::module_source::{MigrationLoader, MigrationResolver, is_es_module, javascript, set_import_meta};

/// Deep recursion in a migration fails with a RangeError instead of overflowing the thread's stack.
const MAX_STACK: usize = 4 * 1024 * 1024;

/// The stack of a thread that runs JavaScript: `MAX_STACK` and the Rust frames around it.
pub const THREAD_STACK: usize = 16 * 1024 * 1024;

/// The prelude, in the order it must run.
const PRELUDE: &[(&str, &str)] = &[
    ("mongrate:bson", include_str!("prelude/bson.js")),
    ("mongrate:driver", include_str!("prelude/driver.js")),
    ("mongrate:console", include_str!("prelude/console.js")),
    ("mongrate:process", include_str!("prelude/process.js")),
    ("mongrate:timers", include_str!("prelude/timers.js")),
    ("mongrate:modules", include_str!("prelude/modules.js")),
    ("mongrate:runtime", include_str!("prelude/runtime.js")),
    ("mongrate:module", include_str!("prelude/mongrate_module.js")),
];

/// A runtime whose running code stops once `stop` says so.
pub async fn new_runtime(stop: impl FnMut() -> bool + 'static) -> rquickjs::Result<(AsyncRuntime, AsyncContext)> {
    let runtime = AsyncRuntime::new()?;
    runtime.set_max_stack_size(MAX_STACK).await;
    runtime.set_interrupt_handler(Some(Box::new(stop))).await;
    runtime.set_loader(MigrationResolver, MigrationLoader).await;
    let context = AsyncContext::full(&runtime).await?;
    Ok((runtime, context))
}

/// Installs `__mongrate` (native functions and the prelude) in a fresh context.
pub fn install_prelude<'js>(ctx: &Ctx<'js>, state: &Rc<HostState>) -> rquickjs::Result<()> {
    let mongrate = Object::new(ctx.clone())?;
    let native = Object::new(ctx.clone())?;
    crate::native::install(ctx, &native, state)?;
    crate::native_modules::install(&native)?;
    crate::native_fs::install(ctx, &native)?;
    crate::native_node::install(&native, state)?;
    mongrate.set("native", native)?;
    ctx.globals().set("__mongrate", mongrate)?;
    for (name, source) in PRELUDE {
        let mut options = EvalOptions::default();
        options.global = true;
        options.strict = true;
        options.filename = Some((*name).to_owned());
        ctx.eval_with_options::<(), _>(*source, options)?;
    }
    Ok(())
}

fn mongrate<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    ctx.globals().get("__mongrate")
}

/// Runs the module's top level and returns what it exports: `module.exports` for CommonJS, the
/// namespace for an ES module.
pub async fn load_exports<'js>(ctx: &Ctx<'js>, path: &Path, source: &str) -> rquickjs::Result<Value<'js>> {
    let name = path.to_string_lossy().into_owned();
    let source = javascript(ctx, path, source)?;
    if is_es_module(path, &source) {
        let declared = Module::declare(ctx.clone(), name, source.into_owned())?;
        set_import_meta(&declared, path)?;
        let (module, evaluated) = declared.eval()?;
        evaluated.into_future::<()>().await?;
        return Ok(module.namespace()?.into_value());
    }
    let load: Function = mongrate(ctx)?.get("loadCommonJs")?;
    load.call((name,))
}

/// What a migration declares, from the prelude's `describe`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declaration {
    pub has_up: bool,
    pub has_down: bool,
    pub name: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    /// `transaction` export: `Some(false)` opts out, `Some(true)` asks for one.
    pub transaction: Option<bool>,
    pub phase: Option<String>,
    /// `repeatable: true`: applied again whenever the file changes.
    pub repeatable: bool,
    pub backup: Vec<String>,
    /// `lintIgnore` export: lint rule ids silenced for this migration.
    pub lint_ignore: Vec<String>,
}

pub fn describe<'js>(ctx: &Ctx<'js>, exports: Value<'js>) -> rquickjs::Result<Declaration> {
    let describe: Function = mongrate(ctx)?.get("describe")?;
    let found: Object = describe.call((exports,))?;
    Ok(Declaration {
        has_up: found.get("hasUp")?,
        has_down: found.get("hasDown")?,
        name: found.get("name")?,
        description: found.get("description")?,
        author: found.get("author")?,
        transaction: found.get("transaction")?,
        phase: found.get("phase")?,
        repeatable: found.get("repeatable")?,
        backup: found.get("backup")?,
        lint_ignore: found.get("lintIgnore")?,
    })
}

/// Calls the migration's `up` or `down`; the promise settles when it is done.
pub fn start<'js>(ctx: &Ctx<'js>, exports: Value<'js>, direction: &str) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let run: Function = mongrate(ctx)?.get("run")?;
    run.call((exports, direction))
}
