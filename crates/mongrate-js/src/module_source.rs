//! Finding, reading and compiling migration modules: CommonJS (wrapped as Node wraps it) and ES
//! modules (with `mongodb` and relative files importable), in JavaScript or TypeScript (its types
//! stripped, see [`crate::typescript`]).

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use rquickjs::context::EvalOptions;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Constructor, Ctx, Function, Module, Object};

use crate::typescript::{TypeScriptError, is_typescript, strip_types};

/// The names `import { … } from 'mongodb'` can take.
const MONGODB_EXPORTS: &[&str] = &[
    "BSONError",
    "ObjectId",
    "ObjectID",
    "Long",
    "Int32",
    "Double",
    "Decimal128",
    "Binary",
    "UUID",
    "Timestamp",
    "BSONRegExp",
    "MinKey",
    "MaxKey",
    "Code",
    "BSONSymbol",
    "MongoClient",
    "Db",
    "Collection",
    "FindCursor",
    "AggregationCursor",
    "ClientSession",
    "BulkWriteResult",
    "MongoError",
    "MongoServerError",
    "MongoBulkWriteError",
    "MongoNetworkError",
    "MongoDriverError",
    "MongoAPIError",
    "MongoInvalidArgumentError",
    "MongoRuntimeError",
    "MongoCursorInUseError",
    "MongoTransactionError",
    "MongoExpiredSessionError",
];

/// Whether a file is an ES module: `.mjs` or `.mts`, or a `.js` or `.ts` with top-level
/// `import`/`export` statements (for TypeScript, `source` is the JavaScript left once its types
/// are stripped: `import type` alone does not make a module).
pub fn is_es_module(path: &Path, source: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mjs" | "mts") => true,
        Some("cjs" | "cts") => false,
        _ => source.lines().any(|line| {
            let line = line.trim_start();
            ["export ", "export{", "export*", "import ", "import{", "import*"].iter().any(|p| line.starts_with(p))
        }),
    }
}

/// A file's text, without a byte-order mark or a `#!` line.
pub fn read_module(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    Ok(match text.strip_prefix("#!") {
        Some(rest) => format!("//{rest}"),
        None => text.to_owned(),
    })
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The extensions a relative `require`/`import` may leave out, in the order they are tried.
const IMPLIED_EXTENSIONS: [&str; 7] = ["js", "cjs", "mjs", "json", "ts", "mts", "cts"];

/// A relative `require`/`import` as Node resolves it: the file, or with `.js`/`.cjs`/`.mjs`/`.json`
/// added, or with `.ts`/`.mts`/`.cts` added as TypeScript resolves it, or the folder's `index.js`
/// or `index.ts`. `./db.js` finds `db.ts` when there is no `db.js` (TypeScript's ES module style).
pub fn resolve_relative(dir: &Path, specifier: &str) -> Result<PathBuf, String> {
    let base = normalize(&dir.join(specifier));
    let mut candidates = vec![base.clone()];
    for extension in IMPLIED_EXTENSIONS {
        let mut name = base.clone().into_os_string();
        name.push(format!(".{extension}"));
        candidates.push(PathBuf::from(name));
    }
    let typescript_twin = match base.extension().and_then(|e| e.to_str()) {
        Some("js") => Some("ts"),
        Some("mjs") => Some("mts"),
        Some("cjs") => Some("cts"),
        _ => None,
    };
    if let Some(extension) = typescript_twin {
        candidates.push(base.with_extension(extension));
    }
    candidates.push(base.join("index.js"));
    candidates.push(base.join("index.ts"));
    candidates.into_iter().find(|candidate| candidate.is_file()).ok_or_else(|| {
        format!(
            "Cannot find module '{specifier}' (looked for {} and with .{}, and for its index.js and index.ts)",
            base.display(),
            IMPLIED_EXTENSIONS.join(", .")
        )
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
/// __dirname`. The wrapper starts on the file's first line, so line numbers stay the file's.
pub fn compile_common_js<'js>(ctx: &Ctx<'js>, path: &Path) -> rquickjs::Result<Function<'js>> {
    let text = read_module(path).map_err(|why| rquickjs::Exception::throw_message(ctx, &why))?;
    let source = javascript(ctx, path, &text)?;
    let wrapped = format!("(function (exports, require, module, __filename, __dirname) {{{source}\n}})");
    let mut options = EvalOptions::default();
    options.global = true;
    options.strict = false;
    options.filename = Some(path.to_string_lossy().into_owned());
    ctx.eval_with_options(wrapped, options)
}

/// Source of the `mongodb` module for `import`.
fn mongodb_module_source() -> String {
    let mut source = String::from("const m = globalThis.__mongrate.mongodbModule;\nexport default m;\n");
    for name in MONGODB_EXPORTS {
        source.push_str(&format!("export const {name} = m.{name};\n"));
    }
    source
}

/// Source of the `mongrate` module (`eachBatch`, `MigrationHelper`, `MigrationBase`) for `import`.
const MONGRATE_MODULE_SOURCE: &str = "const m = globalThis.__mongrate.mongrateModule;\nexport default m;\n\
export const eachBatch = m.eachBatch;\nexport const MigrationHelper = m.MigrationHelper;\n\
export const MigrationBase = m.MigrationBase;\n";

/// Resolves `import` specifiers: `mongodb`, `mongrate`, and paths relative to the importing file.
pub struct MigrationResolver;

impl Resolver for MigrationResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        if name == "mongodb" || name == "bson" {
            return Ok("mongodb".to_owned());
        }
        if name == "mongrate" {
            return Ok("mongrate".to_owned());
        }
        if name.starts_with("./") || name.starts_with("../") || name.starts_with('/') {
            let dir = Path::new(base).parent().unwrap_or(Path::new("."));
            return resolve_relative(dir, name)
                .map(|path| path.to_string_lossy().into_owned())
                .map_err(|why| rquickjs::Error::new_resolving_message(base, name, why));
        }
        Err(rquickjs::Error::new_resolving_message(
            base,
            name,
            "mongrate runs migrations without Node.js, so a migration can import only 'mongodb', 'mongrate' and files of the project by relative path (./ or ../)",
        ))
    }
}

/// Loads what the resolver named: the `mongodb` module, an ES module file, or a CommonJS file
/// (its `module.exports` as the default export).
pub struct MigrationLoader;

impl Loader for MigrationLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        if name == "mongodb" {
            return Module::declare(ctx.clone(), name, mongodb_module_source());
        }
        if name == "mongrate" {
            return Module::declare(ctx.clone(), name, MONGRATE_MODULE_SOURCE);
        }
        let path = Path::new(name);
        let text = read_module(path).map_err(|why| rquickjs::Error::new_loading_message(name, why))?;
        let source = javascript(ctx, path, &text)?;
        if is_es_module(path, &source) {
            return Module::declare(ctx.clone(), name, source.into_owned());
        }
        let quoted =
            serde_json::to_string(name).map_err(|e| rquickjs::Error::new_loading_message(name, e.to_string()))?;
        Module::declare(ctx.clone(), name, format!("export default globalThis.__mongrate.loadCommonJs({quoted});\n"))
    }
}
