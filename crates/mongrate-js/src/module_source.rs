//! Reading and compiling migration modules and what they load: CommonJS (wrapped as Node wraps
//! it), ES modules (with `import.meta.url`), JSON, and TypeScript (its types stripped, see
//! [`crate::typescript`]). `import` specifiers are resolved as Node resolves them (see
//! [`crate::node_resolution`]); a built-in, mongrate's own modules and CommonJS files are imported
//! through a module that re-exports their `module.exports` (as default and by name).

use std::borrow::Cow;
use std::path::Path;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Constructor, Ctx, Function, Module, Object};

pub use crate::node_resolution::is_es_module;
use crate::node_resolution::{Mode, resolve};
use crate::position::eval_function;
use crate::typescript::{TypeScriptError, is_typescript, strip_types};

/// A file's text, without a byte-order mark or a `#!` line.
pub fn read_module(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(match text.strip_prefix("#!") {
        Some(rest) => format!("//{rest}"),
        None => text.to_owned(),
    })
}

/// The JavaScript of a module whose text is `text`: a TypeScript file's with its types blanked,
/// any other's as it is. A TypeScript syntax error is thrown as a `SyntaxError` at the file's
/// line and column, as QuickJS throws one in JavaScript.
pub fn javascript<'js, 's>(ctx: &Ctx<'js>, path: &Path, text: &'s str) -> rquickjs::Result<Cow<'s, str>> {
    if !is_typescript(path) {
        return Ok(Cow::Borrowed(text));
    }
    strip_types(path, text).map(Cow::Owned).map_err(|error| throw_syntax_error(ctx, path, &error))
}

/// Throws `error` as a `SyntaxError` whose stack is its position, which is where
/// `js_error::describe` reads a syntax error's `file:line:column`.
fn throw_syntax_error<'js>(ctx: &Ctx<'js>, path: &Path, error: &TypeScriptError) -> rquickjs::Error {
    let exception = (|| -> rquickjs::Result<Object<'js>> {
        let constructor: Constructor = ctx.globals().get("SyntaxError")?;
        let exception: Object = constructor.construct((error.message.clone(),))?;
        exception.set("stack", format!("    at {}:{}:{}\n", path.display(), error.line, error.column))?;
        Ok(exception)
    })();
    match exception {
        Ok(exception) => ctx.throw(exception.into_value()),
        Err(failure) => failure,
    }
}

/// Compiles a CommonJS file as Node does: one function of `exports, require, module, __filename,
/// __dirname`, at the file's own lines and columns. `None` when the file is an ES module.
pub fn compile_common_js<'js>(ctx: &Ctx<'js>, path: &Path) -> rquickjs::Result<Option<Function<'js>>> {
    let text = read_module(path).map_err(|why| rquickjs::Exception::throw_message(ctx, &why))?;
    let source = javascript(ctx, path, &text)?;
    if is_es_module(path, &source) {
        return Ok(None);
    }
    let name = path.to_string_lossy();
    eval_function(ctx, "exports, require, module, __filename, __dirname", &source, &name, false).map(Some)
}

/// Sets `import.meta.url` (a `file:` URL), `filename` and `dirname` of a module from a file.
pub fn set_import_meta<'js, T>(module: &Module<'js, T>, path: &Path) -> rquickjs::Result<()> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let meta = module.meta()?;
    meta.set("url", file_url(&path))?;
    meta.set("filename", path.to_string_lossy().into_owned())?;
    meta.set("dirname", path.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default())?;
    Ok(())
}

/// `file:///…` for an absolute path, with what a URL cannot hold percent-encoded.
pub fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// The module `import` gets for what is not an ES module file: a built-in, mongrate's own module,
/// a CommonJS or JSON file. The prelude loads it now and writes the module's source.
fn facade<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Module<'js, Declared>> {
    let mongrate: Object = ctx.globals().get("__mongrate")?;
    let write: Function = mongrate.get("esmFacade")?;
    let source: String = write.call((name,))?;
    Module::declare(ctx.clone(), name, source)
}

/// Resolves `import` specifiers as Node does, relative to the importing module.
pub struct MigrationResolver;

impl Resolver for MigrationResolver {
    fn resolve<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        // A built-in or mongrate's own module imports nothing by path: its name stands for itself.
        let from = if base.starts_with("node:") || base.starts_with("mongrate:") { "./-" } else { base };
        match resolve(name, Path::new(from), Mode::Import) {
            Ok(found) => Ok(found.module_name()),
            Err(unresolved) => Err(crate::native_modules::throw_unresolved(ctx, &unresolved)),
        }
    }
}

/// Loads what the resolver named: an ES module file as it is, anything else through [`facade`].
pub struct MigrationLoader;

impl Loader for MigrationLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if name.starts_with("node:") || name.starts_with("mongrate:") {
            return facade(ctx, name);
        }
        let path = Path::new(name);
        let text = read_module(path).map_err(|why| rquickjs::Error::new_loading_message(name, why))?;
        let source = javascript(ctx, path, &text)?;
        if !is_es_module(path, &source) {
            return facade(ctx, name);
        }
        let module = Module::declare(ctx.clone(), name, source.into_owned())?;
        set_import_meta(&module, path)?;
        Ok(module)
    }
}
