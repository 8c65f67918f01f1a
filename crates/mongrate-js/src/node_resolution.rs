//! What a `require` or `import` names, found as Node finds it: Node's built-ins (with or without
//! `node:`), mongrate's own modules (`mongodb`, `mongrate`), files by relative or absolute path,
//! and packages in the project's `node_modules` (looked for in the requiring file's folder and
//! every folder above it, then in `NODE_PATH`), entered through `package.json`'s `exports` (with
//! Node's conditions) or `main`. A package that needs what mongrate lacks (a Node module such as
//! `http`, a native addon) fails with a message naming the package, the missing piece, and the
//! file that required the package.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use serde_json::Value;

use crate::node_builtins;

/// Whether the specifier comes from `require` (CommonJS) or `import` (ES module): it decides which
/// `exports` conditions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Require,
    Import,
}

impl Mode {
    pub fn parse(text: &str) -> Mode {
        if text == "import" { Mode::Import } else { Mode::Require }
    }

    fn conditions(self) -> &'static [&'static str] {
        match self {
            Mode::Require => &["node", "require", "default"],
            Mode::Import => &["node", "import", "default"],
        }
    }
}

/// What a specifier names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A Node built-in mongrate provides, by its name without `node:`.
    Builtin(String),
    /// One of mongrate's own modules: `mongodb` (also `bson`), `mongrate`, or its stand-in for
    /// `dotenv` (and `dotenv/config`) when the project has no dotenv installed.
    Own(&'static str),
    /// A file, by its absolute path.
    File(PathBuf),
}

impl Resolved {
    /// The name the module goes by: `node:fs`, `mongrate:mongodb`, or the file's path.
    pub fn module_name(&self) -> String {
        match self {
            Resolved::Builtin(name) => format!("node:{name}"),
            Resolved::Own(name) => format!("mongrate:{name}"),
            Resolved::File(path) => path.to_string_lossy().into_owned(),
        }
    }
}

/// Why a specifier names nothing mongrate can load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// Node's code for it: `MODULE_NOT_FOUND`, `ERR_PACKAGE_PATH_NOT_EXPORTED`, or
    /// `ERR_MONGRATE_UNAVAILABLE` for what mongrate lacks.
    pub code: &'static str,
    pub message: String,
}

impl Unresolved {
    fn not_found(message: String) -> Unresolved {
        Unresolved { code: "MODULE_NOT_FOUND", message }
    }
}

/// The extensions a `require`/`import` of a file may leave out, in the order they are tried (Node's
/// `.js`, `.json`, `.node`, then the module and TypeScript ones mongrate also reads).
const IMPLIED_EXTENSIONS: [&str; 8] = ["js", "json", "node", "cjs", "mjs", "ts", "mts", "cts"];

/// When a file was last seen: its size and modification time.
type Stamp = (u64, Option<std::time::SystemTime>);

thread_local! {
    /// Parsed `package.json` files by path.
    static MANIFESTS: RefCell<HashMap<PathBuf, (Stamp, Rc<Value>)>> = RefCell::new(HashMap::new());
    /// The file that first required or imported each file: the way from a failing file deep in a
    /// package back to the project file that required the package.
    static REQUIRED_BY: RefCell<HashMap<PathBuf, PathBuf>> = RefCell::new(HashMap::new());
}

/// Resolves `specifier` as required or imported by the file `from`.
pub fn resolve(specifier: &str, from: &Path, mode: Mode) -> Result<Resolved, Unresolved> {
    let from = absolute(from);
    let mut resolved = resolve_absolute(specifier, &from, mode)?;
    // A package's files go by their real path, as in Node: a linked package (pnpm, npm link)
    // finds its own dependencies beside where it really is.
    if let Resolved::File(path) = &resolved
        && in_node_modules(path)
        && let Ok(real) = std::fs::canonicalize(path)
    {
        resolved = Resolved::File(real);
    }
    if let Resolved::File(path) = &resolved {
        if path.extension().is_some_and(|e| e == "node") {
            return Err(unavailable(&format!("a native addon ({})", shown(path)), &from));
        }
        REQUIRED_BY.with(|seen| seen.borrow_mut().entry(path.clone()).or_insert_with(|| from.clone()).clone());
    }
    Ok(resolved)
}

fn resolve_absolute(specifier: &str, from: &Path, mode: Mode) -> Result<Resolved, Unresolved> {
    let dir = from.parent().unwrap_or(Path::new("/"));
    if let Some(name) = specifier.strip_prefix("node:") {
        return builtin(name, specifier, from)?.ok_or_else(|| {
            Unresolved::not_found(format!("Cannot find module '{specifier}': Node has no such built-in"))
        });
    }
    match specifier {
        "mongodb" | "bson" => return Ok(Resolved::Own("mongodb")),
        "mongrate" => return Ok(Resolved::Own("mongrate")),
        _ => {}
    }
    if let Some(found) = builtin(specifier, specifier, from)? {
        return Ok(found);
    }
    if is_path(specifier) {
        let base = normalize(&dir.join(specifier));
        return file_or_directory(&base).map(Resolved::File).ok_or_else(|| {
            Unresolved::not_found(format!(
                "Cannot find module '{specifier}' (looked for {} and with .{} added, and for its index file)",
                shown(&base),
                IMPLIED_EXTENSIONS.join(", .")
            ))
        });
    }
    if specifier.starts_with('#') {
        return package_import(specifier, dir, mode);
    }
    let Some((name, subpath)) = split_package(specifier) else {
        return Err(Unresolved::not_found(format!("Cannot find module '{specifier}': not a valid package name")));
    };
    if let Some(found) = self_reference(name, &subpath, dir, mode)? {
        return Ok(found);
    }
    for folder in package_folders(dir) {
        let root = folder.join(name);
        if root.is_dir() {
            return package_entry(&root, name, &subpath, mode).map(Resolved::File);
        }
    }
    match specifier {
        "dotenv" => return Ok(Resolved::Own("dotenv")),
        "dotenv/config" => return Ok(Resolved::Own("dotenv/config")),
        _ => {}
    }
    Err(Unresolved::not_found(format!(
        "Cannot find module '{specifier}' (required by {}): there is no node_modules/{name} in {} or a folder above it; \
         install the package in the project (npm install {name})",
        shown(from),
        shown(dir)
    )))
}

/// A built-in by `name`: `Ok(None)` when Node has none by that name.
fn builtin(name: &str, specifier: &str, from: &Path) -> Result<Option<Resolved>, Unresolved> {
    if node_builtins::is_provided(name) {
        return Ok(Some(Resolved::Builtin(name.to_owned())));
    }
    if node_builtins::is_node_only(name) {
        return Err(unavailable(&format!("Node's '{specifier}' module"), from));
    }
    Ok(None)
}

fn is_path(specifier: &str) -> bool {
    specifier == "."
        || specifier == ".."
        || specifier.starts_with("./")
        || specifier.starts_with("../")
        || specifier.starts_with('/')
}

/// `lodash/fp` → (`lodash`, `./fp`); `@scope/name` → (`@scope/name`, `.`).
fn split_package(specifier: &str) -> Option<(&str, String)> {
    let mut parts = specifier.splitn(3, '/');
    let first = parts.next().filter(|p| !p.is_empty())?;
    let end = if first.starts_with('@') {
        let second = parts.next().filter(|p| !p.is_empty())?;
        first.len() + 1 + second.len()
    } else {
        first.len()
    };
    let (name, rest) = specifier.split_at(end);
    if name.starts_with('.') || name.contains('\\') || name.contains('%') {
        return None;
    }
    Some((name, if rest.is_empty() { ".".to_owned() } else { format!(".{rest}") }))
}

/// The `node_modules` folders to look in: in `dir` and each folder above it (not inside a
/// `node_modules` folder itself), then those `NODE_PATH` names.
fn package_folders(dir: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = dir
        .ancestors()
        .filter(|folder| folder.file_name().is_none_or(|name| name != "node_modules"))
        .map(|folder| folder.join("node_modules"))
        .collect();
    if let Some(paths) = std::env::var_os("NODE_PATH") {
        folders.extend(std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()).map(|p| absolute(&p)));
    }
    folders
}

/// A package's `package.json`, when it has one that parses. Each is parsed once per thread while
/// it stays the same (its size and time): a package's files all ask for it, and some are large
/// (date-fns's is 200 kB).
fn manifest(root: &Path) -> Result<Option<Rc<Value>>, Unresolved> {
    let file = root.join("package.json");
    let Ok(metadata) = std::fs::metadata(&file) else { return Ok(None) };
    let stamp = (metadata.len(), metadata.modified().ok());
    if let Some(known) = MANIFESTS.with(|cache| cache.borrow().get(&file).filter(|(seen, _)| *seen == stamp).cloned()) {
        return Ok(Some(known.1));
    }
    let Ok(text) = std::fs::read_to_string(&file) else { return Ok(None) };
    let parsed: Value = serde_json::from_str(&text)
        .map_err(|e| Unresolved::not_found(format!("{}: not valid JSON: {e}", shown(&file))))?;
    let parsed = Rc::new(parsed);
    MANIFESTS.with(|cache| cache.borrow_mut().insert(file, (stamp, parsed.clone())));
    Ok(Some(parsed))
}

/// The file `subpath` (`.` or `./x`) of the package at `root` names.
fn package_entry(root: &Path, name: &str, subpath: &str, mode: Mode) -> Result<PathBuf, Unresolved> {
    let package = manifest(root)?;
    if let Some(exports) = package.as_ref().and_then(|p| p.get("exports")).filter(|e| !e.is_null()) {
        return exported(root, name, exports, subpath, mode);
    }
    let base = if subpath == "." {
        match package.as_ref().and_then(|p| p.get("main")).and_then(Value::as_str) {
            Some(main) => normalize(&root.join(main)),
            None => root.to_path_buf(),
        }
    } else {
        normalize(&root.join(subpath))
    };
    file_or_directory(&base).or_else(|| (subpath == ".").then(|| index_file(root)).flatten()).ok_or_else(|| {
        let what = if subpath == "." { name.to_owned() } else { format!("{name}/{}", &subpath[2..]) };
        Unresolved::not_found(format!(
            "Cannot find module '{what}': the package is in {} but {} is not there",
            shown(root),
            shown(&base)
        ))
    })
}

/// The file `exports` maps `subpath` to, which must exist.
fn exported(root: &Path, name: &str, exports: &Value, subpath: &str, mode: Mode) -> Result<PathBuf, Unresolved> {
    let not_exported = || Unresolved {
        code: "ERR_PACKAGE_PATH_NOT_EXPORTED",
        message: format!(
            "Package subpath '{subpath}' is not defined by \"exports\" in {} (for {})",
            shown(&root.join("package.json")),
            if mode == Mode::Require { "require" } else { "import" }
        ),
    };
    let target = subpath_target(exports, subpath, mode).ok_or_else(not_exported)?;
    let Some(relative) = target.strip_prefix("./") else { return Err(not_exported()) };
    let file = normalize(&root.join(relative));
    if !file.starts_with(root) {
        return Err(not_exported());
    }
    if file.is_file() {
        Ok(file)
    } else {
        Err(Unresolved::not_found(format!(
            "Cannot find module '{}': the package {name}'s \"exports\" names {}, which is not there",
            shown(&file),
            shown(&file)
        )))
    }
}

/// The target `exports` (or `imports`) gives `subpath`, after conditions and `*` patterns.
fn subpath_target(map: &Value, subpath: &str, mode: Mode) -> Option<String> {
    let keyed = map.as_object().is_some_and(|o| o.keys().any(|k| k.starts_with('.') || k.starts_with('#')));
    if !keyed {
        return if subpath == "." { conditional_target(map, None, mode) } else { None };
    }
    let entries = map.as_object()?;
    if let Some(target) = entries.get(subpath) {
        return conditional_target(target, None, mode);
    }
    // The pattern with the longest part before its `*` wins.
    let mut best: Option<(&str, &Value, String)> = None;
    for (key, target) in entries {
        let Some((before, after)) = key.split_once('*') else { continue };
        let Some(rest) = subpath.strip_prefix(before) else { continue };
        if rest.len() < after.len() || !rest.ends_with(after) {
            continue;
        }
        let matched = rest[..rest.len() - after.len()].to_owned();
        if best.as_ref().is_none_or(|(known, _, _)| before.len() > known.split('*').next().unwrap_or("").len()) {
            best = Some((key, target, matched));
        }
    }
    let (_, target, matched) = best?;
    conditional_target(target, Some(&matched), mode)
}

/// A target string (with `*` filled in), the first usable entry of an array, or the first entry of
/// a conditions object whose condition applies.
fn conditional_target(target: &Value, matched: Option<&str>, mode: Mode) -> Option<String> {
    match target {
        Value::String(text) => Some(match matched {
            Some(part) => text.replace('*', part),
            None => text.clone(),
        }),
        Value::Array(items) => items.iter().find_map(|item| conditional_target(item, matched, mode)),
        Value::Object(conditions) => conditions
            .iter()
            .filter(|(condition, _)| mode.conditions().contains(&condition.as_str()))
            .find_map(|(_, target)| conditional_target(target, matched, mode)),
        _ => None,
    }
}

/// The nearest `package.json` above `dir`, with the folder it is in.
fn nearest_manifest(dir: &Path) -> Option<(PathBuf, Rc<Value>)> {
    for folder in dir.ancestors() {
        if let Ok(Some(package)) = manifest(folder) {
            return Some((folder.to_path_buf(), package));
        }
        if folder.file_name().is_some_and(|name| name == "node_modules") {
            return None;
        }
    }
    None
}

/// `#name`, from the `imports` of the nearest `package.json`.
fn package_import(specifier: &str, dir: &Path, mode: Mode) -> Result<Resolved, Unresolved> {
    let missing = || Unresolved {
        code: "ERR_PACKAGE_IMPORT_NOT_DEFINED",
        message: format!(
            "Package import specifier '{specifier}' is not defined by \"imports\" in the package.json above {}",
            shown(dir)
        ),
    };
    let (root, package) = nearest_manifest(dir).ok_or_else(missing)?;
    let imports = package.get("imports").ok_or_else(missing)?;
    let target = subpath_target(imports, specifier, mode).ok_or_else(missing)?;
    if let Some(relative) = target.strip_prefix("./") {
        let file = normalize(&root.join(relative));
        return if file.is_file() { Ok(Resolved::File(file)) } else { Err(missing()) };
    }
    // An import mapped to a package (`"#dep": "some-package"`).
    resolve_absolute(&target, &root.join("package.json"), mode)
}

/// A package requiring itself by its own name, through its `exports`.
fn self_reference(name: &str, subpath: &str, dir: &Path, mode: Mode) -> Result<Option<Resolved>, Unresolved> {
    let Some((root, package)) = nearest_manifest(dir) else { return Ok(None) };
    if package.get("name").and_then(Value::as_str) != Some(name) {
        return Ok(None);
    }
    match package.get("exports").filter(|e| !e.is_null()) {
        Some(exports) => exported(&root, name, exports, subpath, mode).map(|file| Some(Resolved::File(file))),
        None => Ok(None),
    }
}

/// Node's file, then folder, lookup: the path itself, with an extension added, or as a folder (its
/// `package.json` `main`, else its index file). `./db.js` finds `db.ts` when there is no `db.js`.
pub fn file_or_directory(base: &Path) -> Option<PathBuf> {
    if base.is_file() {
        return Some(base.to_path_buf());
    }
    for extension in IMPLIED_EXTENSIONS {
        let mut name = base.as_os_str().to_owned();
        name.push(format!(".{extension}"));
        let candidate = PathBuf::from(name);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let typescript_twin = match base.extension().and_then(|e| e.to_str()) {
        Some("js") => Some("ts"),
        Some("mjs") => Some("mts"),
        Some("cjs") => Some("cts"),
        _ => None,
    };
    if let Some(candidate) = typescript_twin.map(|extension| base.with_extension(extension))
        && candidate.is_file()
    {
        return Some(candidate);
    }
    if !base.is_dir() {
        return None;
    }
    if let Ok(Some(package)) = manifest(base)
        && let Some(main) = package.get("main").and_then(Value::as_str)
    {
        let main = normalize(&base.join(main));
        if let Some(found) = file_or_directory(&main).filter(|found| found != base) {
            return Some(found);
        }
    }
    index_file(base)
}

fn index_file(dir: &Path) -> Option<PathBuf> {
    ["index.js", "index.json", "index.node", "index.cjs", "index.mjs", "index.ts"]
        .iter()
        .map(|name| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Whether a file is an ES module, as Node decides for a package's files: `.mjs`/`.mts` are,
/// `.cjs`/`.cts` are not, and a `.js`/`.ts` file in `node_modules` is one when its package says
/// `"type": "module"`. A project's own `.js`/`.ts` file (a migration, a helper) is one when it has
/// top-level `import`/`export` statements, whatever its `package.json` says, so that a migration
/// written either way runs.
pub fn is_es_module(path: &Path, source: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mjs" | "mts") => return true,
        Some("cjs" | "cts" | "json") => return false,
        _ => {}
    }
    let packaged = in_node_modules(path);
    if packaged
        && let Some(kind) = path
            .parent()
            .and_then(nearest_manifest)
            .and_then(|(_, package)| package.get("type").and_then(Value::as_str).map(str::to_owned))
    {
        return kind == "module";
    }
    if packaged {
        return false;
    }
    source.lines().any(|line| {
        let line = line.trim_start();
        ["export ", "export{", "export*", "import ", "import{", "import*"].iter().any(|p| line.starts_with(p))
    })
}

fn in_node_modules(path: &Path) -> bool {
    path.components().any(|c| matches!(c, Component::Normal(name) if name == "node_modules"))
}

/// The message for something mongrate lacks (`piece`), needed by the file `from`: it names the
/// package the project required (when `from` is in one) and the project's file that required it.
fn unavailable(piece: &str, from: &Path) -> Unresolved {
    const WHY: &str = "mongrate runs JavaScript without Node.js: pure-JavaScript packages load, ones that \
                       need the network, streams, child processes or native addons do not";
    let message = match outermost_package(from) {
        Some((package, Some(requirer))) => format!(
            "the package '{package}' (required by {}) cannot be loaded: it needs {piece}, which mongrate does not \
             provide (needed by {}). {WHY}",
            shown(&requirer),
            shown(from)
        ),
        Some((package, None)) => format!(
            "the package '{package}' cannot be loaded: it needs {piece}, which mongrate does not provide (needed by \
             {}). {WHY}",
            shown(from)
        ),
        None => format!("{} needs {piece}, which mongrate does not provide. {WHY}", shown(from)),
    };
    Unresolved { code: "ERR_MONGRATE_UNAVAILABLE", message }
}

/// The package the project's own code required on the way to `file` (when `file` is in a
/// package), and that project file.
fn outermost_package(file: &Path) -> Option<(String, Option<PathBuf>)> {
    let mut package = package_name(file)?;
    let mut current = file.to_path_buf();
    REQUIRED_BY.with(|seen| {
        let seen = seen.borrow();
        // Bounded: a cycle of requires cannot keep the walk going.
        for _ in 0..seen.len() + 1 {
            let Some(parent) = seen.get(&current) else { return Some((package.clone(), None)) };
            match package_name(parent) {
                Some(name) => package = name,
                None => return Some((package.clone(), Some(parent.clone()))),
            }
            current = parent.clone();
        }
        Some((package.clone(), None))
    })
}

/// The package a file is in: the name after the last `node_modules` in its path.
pub fn package_name(file: &Path) -> Option<String> {
    let parts: Vec<String> = file.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let at = parts.iter().rposition(|part| part == "node_modules")?;
    let first = parts.get(at + 1)?;
    if first.starts_with('@') {
        let second = parts.get(at + 2)?;
        Some(format!("{first}/{second}"))
    } else {
        Some(first.clone())
    }
}

/// A path for messages: relative to the working directory when it is inside it.
pub fn shown(path: &Path) -> String {
    let current = std::env::current_dir().ok();
    match current.as_deref().and_then(|dir| path.strip_prefix(dir).ok()) {
        Some(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => path.display().to_string(),
    }
}

fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// The path with `.` and `..` worked out (without following links, as Node does).
pub fn normalize(path: &Path) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn file(resolved: Result<Resolved, Unresolved>) -> PathBuf {
        match resolved {
            Ok(Resolved::File(path)) => path,
            other => panic!("not a file: {other:?}"),
        }
    }

    #[test]
    fn packages_are_found_walking_up_through_main_and_exports() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let from = root.join("app/migrations/001-x.js");
        write(&from, "");
        write(&root.join("node_modules/plain/package.json"), r#"{"main": "lib/main"}"#);
        write(&root.join("node_modules/plain/lib/main.js"), "");
        write(&root.join("node_modules/plain/extra.js"), "");
        write(
            &root.join("node_modules/dual/package.json"),
            r#"{"exports": {".": {"import": "./esm/index.js", "require": {"types": "./x.d.ts", "default": "./cjs/index.cjs"}}, "./feature/*": "./features/*.js", "./hidden": null}}"#,
        );
        write(&root.join("node_modules/dual/esm/index.js"), "");
        write(&root.join("node_modules/dual/cjs/index.cjs"), "");
        write(&root.join("node_modules/dual/features/a.js"), "");
        write(&root.join("node_modules/@scope/pkg/index.js"), "");

        assert_eq!(file(resolve("plain", &from, Mode::Require)), root.join("node_modules/plain/lib/main.js"));
        assert_eq!(file(resolve("plain/extra", &from, Mode::Require)), root.join("node_modules/plain/extra.js"));
        assert_eq!(file(resolve("dual", &from, Mode::Require)), root.join("node_modules/dual/cjs/index.cjs"));
        assert_eq!(file(resolve("dual", &from, Mode::Import)), root.join("node_modules/dual/esm/index.js"));
        assert_eq!(file(resolve("dual/feature/a", &from, Mode::Import)), root.join("node_modules/dual/features/a.js"));
        assert_eq!(file(resolve("@scope/pkg", &from, Mode::Require)), root.join("node_modules/@scope/pkg/index.js"));
        let hidden = resolve("dual/hidden", &from, Mode::Require).unwrap_err();
        assert_eq!(hidden.code, "ERR_PACKAGE_PATH_NOT_EXPORTED", "{hidden:?}");
        let missing = resolve("lodash", &from, Mode::Require).unwrap_err();
        assert_eq!(missing.code, "MODULE_NOT_FOUND");
        assert!(missing.message.contains("npm install lodash"), "{}", missing.message);
    }

    #[test]
    fn a_packages_own_imports_and_its_own_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let package = root.join("node_modules/styled");
        write(
            &package.join("package.json"),
            r##"{"name": "styled", "exports": "./index.js", "imports": {"#colors": {"node": "./lib/colors.js", "default": "./browser.js"}}}"##,
        );
        write(&package.join("index.js"), "");
        write(&package.join("lib/colors.js"), "");
        let inside = package.join("index.js");
        assert_eq!(file(resolve("#colors", &inside, Mode::Import)), package.join("lib/colors.js"));
        assert_eq!(file(resolve("styled", &inside, Mode::Require)), package.join("index.js"));
        assert_eq!(resolve("#nothing", &inside, Mode::Import).unwrap_err().code, "ERR_PACKAGE_IMPORT_NOT_DEFINED");
    }

    #[test]
    fn builtins_with_and_without_the_prefix() {
        let from = Path::new("/m/001.js");
        assert_eq!(resolve("fs", from, Mode::Require), Ok(Resolved::Builtin("fs".into())));
        assert_eq!(resolve("node:fs/promises", from, Mode::Import), Ok(Resolved::Builtin("fs/promises".into())));
        assert_eq!(resolve("mongodb", from, Mode::Require), Ok(Resolved::Own("mongodb")));
        let http = resolve("node:http", from, Mode::Require).unwrap_err();
        assert_eq!(http.code, "ERR_MONGRATE_UNAVAILABLE");
        assert!(http.message.contains("Node's 'node:http' module"), "{}", http.message);
        assert_eq!(resolve("node:nothing", from, Mode::Require).unwrap_err().code, "MODULE_NOT_FOUND");
        assert_eq!(resolve("dotenv/config", from, Mode::Import), Ok(Resolved::Own("dotenv/config")));
    }

    #[test]
    fn a_native_addon_names_the_package_and_who_required_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let migration = root.join("migrations/001-hash.js");
        write(&migration, "");
        write(&root.join("node_modules/hasher/package.json"), r#"{"main": "index.js"}"#);
        write(&root.join("node_modules/hasher/index.js"), "");
        write(&root.join("node_modules/hasher/build/Release/hasher.node"), "");
        let index = file(resolve("hasher", &migration, Mode::Require));
        let failure = resolve("./build/Release/hasher", &index, Mode::Require).unwrap_err();
        assert_eq!(failure.code, "ERR_MONGRATE_UNAVAILABLE");
        assert!(failure.message.contains("the package 'hasher'"), "{}", failure.message);
        assert!(failure.message.contains("a native addon"), "{}", failure.message);
        assert!(failure.message.contains("hasher.node"), "{}", failure.message);
        assert!(failure.message.contains("001-hash.js"), "{}", failure.message);
    }

    #[test]
    fn package_names_of_files() {
        assert_eq!(package_name(Path::new("/p/node_modules/a/node_modules/b/x.js")), Some("b".into()));
        assert_eq!(package_name(Path::new("/p/node_modules/@s/n/lib/x.js")), Some("@s/n".into()));
        assert_eq!(package_name(Path::new("/p/migrations/x.js")), None);
        assert_eq!(split_package("lodash/fp"), Some(("lodash", "./fp".to_owned())));
        assert_eq!(split_package("@s/n"), Some(("@s/n", ".".to_owned())));
        assert_eq!(split_package("@s"), None);
    }

    #[test]
    fn relative_files_find_extensions_twins_and_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        write(&root.join("lib/db.ts"), "");
        write(&root.join("lib/util/index.js"), "");
        write(&root.join("lib/data.json"), "{}");
        let from = root.join("m.js");
        assert_eq!(file(resolve("./lib/db.js", &from, Mode::Import)), root.join("lib/db.ts"));
        assert_eq!(file(resolve("./lib/util", &from, Mode::Require)), root.join("lib/util/index.js"));
        assert_eq!(file(resolve("./lib/data", &from, Mode::Require)), root.join("lib/data.json"));
        assert_eq!(resolve("./lib/none", &from, Mode::Require).unwrap_err().code, "MODULE_NOT_FOUND");
    }
}
