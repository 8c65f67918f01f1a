//! The native side of `require`: resolving a specifier as Node does, compiling a CommonJS file or a
//! built-in, and loading an ES module synchronously for `require` (as Node 22 does).

use std::path::{Path, PathBuf};

use rquickjs::function::Func;
use rquickjs::{Constructor, Ctx, Exception, Function, Module, Object, Promise, Value};

use crate::module_source::{compile_common_js, read_module};
use crate::node_resolution::{Mode, Unresolved, resolve};

/// Throws Node's error for a specifier that names nothing mongrate can load, with its `code`.
pub fn throw_unresolved(ctx: &Ctx<'_>, unresolved: &Unresolved) -> rquickjs::Error {
    let thrown = (|| -> rquickjs::Result<Value<'_>> {
        let constructor: Constructor = ctx.globals().get("Error")?;
        let error: Object = constructor.construct((unresolved.message.clone(),))?;
        error.set("code", unresolved.code)?;
        Ok(error.into_value())
    })();
    match thrown {
        Ok(error) => ctx.throw(error),
        Err(failure) => failure,
    }
}

/// `require` of an ES module: its namespace, once it has run. A module that awaits at its top
/// level cannot be required (Node's ERR_REQUIRE_ASYNC_MODULE).
fn import_now<'js>(ctx: Ctx<'js>, path: String) -> rquickjs::Result<Value<'js>> {
    let promise: Promise = Module::import(&ctx, path.clone())?;
    match promise.finish::<Value>() {
        Err(rquickjs::Error::WouldBlock) => Err(Exception::throw_message(
            &ctx,
            &format!(
                "{path} is an ES module that awaits at its top level, so it cannot be required: use `import` (or \
                 `await import(...)`) instead"
            ),
        )),
        other => other,
    }
}

/// Puts the functions on `__mongrate.native`.
pub fn install<'js>(native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "resolve",
        Func::from(|ctx: Ctx<'js>, specifier: String, from: String, mode: String| {
            resolve(&specifier, Path::new(&from), Mode::parse(&mode))
                .map(|found| found.module_name())
                .map_err(|unresolved| throw_unresolved(&ctx, &unresolved))
        }),
    )?;
    native.set(
        "readModule",
        Func::from(|ctx: Ctx<'js>, path: String| {
            read_module(Path::new(&path)).map_err(|why| Exception::throw_message(&ctx, &why))
        }),
    )?;
    // Node's `__filename` is absolute even when mongrate was given a relative migrations folder.
    native.set(
        "absolute",
        Func::from(|path: String| {
            let path = Path::new(&path);
            crate::node_resolution::normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
                .to_string_lossy()
                .into_owned()
        }),
    )?;
    native.set(
        "dirname",
        Func::from(|path: String| {
            PathBuf::from(path).parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|| ".".to_owned())
        }),
    )?;
    // `null` for an ES module, which `require` loads with `importModule`.
    native.set(
        "compileCommonJs",
        Func::from(|ctx: Ctx<'js>, path: String| -> rquickjs::Result<Option<Function<'js>>> {
            compile_common_js(&ctx, Path::new(&path))
        }),
    )?;
    native
        .set("compileBuiltin", Func::from(|ctx: Ctx<'js>, name: String| crate::node_builtins::compile(&ctx, &name)))?;
    native.set("importModule", Func::from(import_now))?;
    let names: Vec<&str> =
        crate::node_builtins::PROVIDED.iter().chain(crate::node_builtins::NOT_PROVIDED).copied().collect();
    native.set("builtinModules", names)?;
    Ok(())
}
