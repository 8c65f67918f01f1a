//! Node's built-ins and module loading as a migration uses them, checked in the engine itself
//! (without a database): each test writes a module and compares what it computes with what Node
//! computes for the same code.

use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::{CatchResultExt, Function, Object, Promise, Value};

use crate::console::StderrConsole;
use crate::host::{install_prelude, load_exports, new_runtime};
use crate::host_state::HostState;

/// Runs `main`'s default export (an async function) in a fresh engine, with the working directory
/// unchanged; gives its result as JSON, or the error's message.
fn run(main: &Path) -> Result<String, String> {
    let tokio = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("tokio");
    tokio.block_on(async {
        let (runtime, context) = new_runtime(|| false).await.map_err(|e| e.to_string())?;
        let state = Rc::new(HostState::new(None, None, false, Arc::new(StderrConsole), main.to_path_buf()));
        let source = crate::module_source::read_module(main)?;
        let result = context
            .async_with(async |ctx| {
                install_prelude(&ctx, &state).catch(&ctx).map_err(crate::js_error::describe)?;
                let exports = load_exports(&ctx, main, &source).await.catch(&ctx).map_err(crate::js_error::describe)?;
                let call = async || -> rquickjs::Result<String> {
                    let exports = exports.into_object().ok_or(rquickjs::Error::Unknown)?;
                    let function: Function = exports.get("default")?;
                    let promise: Promise = function.call(())?;
                    let value: Value = promise.into_future().await?;
                    let json: Object = ctx.globals().get("JSON")?;
                    let stringify: Function = json.get("stringify")?;
                    stringify.call((value,))
                };
                call().await.catch(&ctx).map_err(crate::js_error::describe)
            })
            .await;
        runtime.idle().await;
        result
    })
}

/// A project folder with `files` (path, text), and the result of running `main.mjs` in it.
fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<serde_json::Value, String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("folders");
        std::fs::write(file, text).expect("write");
    }
    let result = run(&dir.path().join("main.mjs"))
        .map(|json| serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}")));
    (dir, result)
}

fn value(files: &[(&str, &str)]) -> serde_json::Value {
    let (_dir, result) = project(files);
    result.unwrap_or_else(|why| panic!("the module failed: {why}"))
}

#[test]
fn hashes_and_hmacs_as_node_digests_them() {
    let result = value(&[(
        "main.mjs",
        "import crypto from 'node:crypto';\n\
         import { createHash } from 'crypto';\n\
         export default async () => [\n\
           createHash('md5').update('hello').digest('hex'),\n\
           createHash('sha1').update('hel').update('lo').digest('base64'),\n\
           crypto.createHash('sha256').update(Buffer.from('hello')).digest('hex'),\n\
           crypto.createHmac('sha256', 'key').update('data').digest('hex'),\n\
           crypto.createHash('sha512').update('').digest('base64url').length,\n\
           crypto.randomUUID().length,\n\
           crypto.randomBytes(16).length,\n\
           /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),\n\
         ];\n",
    )]);
    // Node: the same expressions.
    assert_eq!(
        result,
        serde_json::json!([
            "5d41402abc4b2a76b9719d911017c592",
            "qvTGHdzF6KLavt4PO0gs2a6pQ00=",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0",
            86,
            36,
            16,
            true
        ])
    );
}

#[test]
fn buffers_encode_and_decode_as_node_does() {
    let result = value(&[(
        "main.mjs",
        "export default async () => {\n\
           const b = Buffer.from('héllo wörld');\n\
           return [b.length, b.toString('hex'), b.toString('base64'), Buffer.from('aGk', 'base64').toString(),\n\
             Buffer.from('68690a', 'hex').toString('utf8'), Buffer.concat([Buffer.from('a'), Buffer.from([98, 99])]).toString(),\n\
             Buffer.alloc(3, 1).toJSON(), b.slice(0, 2).toString('latin1'), Buffer.isBuffer(b), b instanceof Uint8Array,\n\
             Buffer.from('abc').equals(Buffer.from('abc')), Buffer.byteLength('€'), b.readUInt16BE(0), Buffer.from('-_8', 'base64url').toString('hex')];\n\
         };\n",
    )]);
    assert_eq!(
        result,
        serde_json::json!([
            13,
            "68c3a96c6c6f2077c3b6726c64",
            "aMOpbGxvIHfDtnJsZA==",
            "hi",
            "hi\n",
            "abc",
            { "type": "Buffer", "data": [1, 1, 1] },
            "hÃ",
            true,
            true,
            true,
            3,
            26819,
            "fbff"
        ])
    );
}

#[test]
fn path_util_os_url_and_events() {
    let result = value(&[(
        "main.mjs",
        "import path from 'path';\nimport util from 'node:util';\nimport os from 'os';\nimport { EventEmitter, once } from 'events';\n\
         import { fileURLToPath, pathToFileURL } from 'url';\n\
         export default async () => {\n\
           const emitter = new EventEmitter();\n\
           const seen = [];\n\
           emitter.on('x', (v) => seen.push(v));\n\
           emitter.once('x', (v) => seen.push(v * 10));\n\
           emitter.emit('x', 1); emitter.emit('x', 2);\n\
           setTimeout(() => emitter.emit('done', 'late'), 5);\n\
           const [late] = await once(emitter, 'done');\n\
           const url = new URL('https://user:pw@Example.com:8443/a/./b/../c?x=1&y=2#top');\n\
           return [path.join('/a', 'b', '../c', 'd.js'), path.resolve('/x', 'y', '..', 'z'), path.extname('a/b.tar.gz'),\n\
             path.basename('/a/b.js', '.js'), path.relative('/a/b/c', '/a/d'), path.parse('/home/u/f.txt'),\n\
             util.format('%s is %d years and %j', 'Ada', 36, { a: 1 }), util.inspect({ a: [1, { b: 2 }], s: 'x' }),\n\
             util.isDeepStrictEqual({ a: [1, 2] }, { a: [1, 2] }), util.isDeepStrictEqual([1], ['1']),\n\
             os.EOL, typeof os.hostname(), seen, late,\n\
             url.href, url.host, url.pathname, url.searchParams.get('y'), url.origin,\n\
             new URL('../up?q=a b', 'http://h/x/y/z').href, new URL('mongodb://u:p@db.example.com:27017/app?authSource=admin').pathname,\n\
             fileURLToPath('file:///tmp/a%20b.js'), pathToFileURL('/tmp/a b#.js').href,\n\
             await util.promisify((a, cb) => setImmediate(() => cb(null, a + 1)))(41)];\n\
         };\n",
    )]);
    // Node 22 gives the same values.
    assert_eq!(
        result,
        serde_json::json!([
            "/a/c/d.js",
            "/x/z",
            ".gz",
            "b",
            "../../d",
            { "root": "/", "dir": "/home/u", "base": "f.txt", "ext": ".txt", "name": "f" },
            "Ada is 36 years and {\"a\":1}",
            "{ a: [ 1, { b: 2 } ], s: 'x' }",
            true,
            false,
            "\n",
            "string",
            [1, 10, 2],
            "late",
            "https://user:pw@example.com:8443/a/c?x=1&y=2#top",
            "example.com:8443",
            "/a/c",
            "2",
            "https://example.com:8443",
            "http://h/x/up?q=a%20b",
            "/app",
            "/tmp/a b.js",
            "file:///tmp/a%20b%23.js",
            42
        ])
    );
}

#[test]
fn files_are_read_written_and_listed_relative_to_the_working_directory() {
    let result = value(&[
        ("data/b.json", "{\"n\": 2}"),
        ("data/a.txt", "first"),
        (
            "main.mjs",
            "import fs from 'fs';\nimport { readFile } from 'fs/promises';\nimport path from 'path';\n\
             export default async () => {\n\
               const dir = path.join(import.meta.dirname, 'data');\n\
               fs.writeFileSync(path.join(dir, 'c.txt'), 'made');\n\
               fs.appendFileSync(path.join(dir, 'c.txt'), ' here');\n\
               let missing;\n\
               try { fs.readFileSync(path.join(dir, 'none.txt')); } catch (error) { missing = [error.code, error.syscall, error.message.startsWith('ENOENT: no such file or directory, open')]; }\n\
               return [fs.existsSync(dir), fs.readdirSync(dir), fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'),\n\
                 JSON.parse(await readFile(path.join(dir, 'b.json'), 'utf8')).n, fs.readFileSync(path.join(dir, 'c.txt')).toString(),\n\
                 fs.statSync(dir).isDirectory(), fs.readdirSync(dir, { withFileTypes: true })[0].isFile(), missing,\n\
                 import.meta.url.startsWith('file:///'), typeof process.cwd()];\n\
             };\n",
        ),
    ]);
    assert_eq!(
        result,
        serde_json::json!([
            true,
            ["a.txt", "b.json", "c.txt"],
            "first",
            2,
            "made here",
            true,
            true,
            ["ENOENT", "open", true],
            true,
            "string"
        ])
    );
}

#[test]
fn packages_load_through_exports_main_and_both_module_systems() {
    let result = value(&[
        ("node_modules/plain/package.json", "{\"main\": \"lib/index.js\"}"),
        (
            "node_modules/plain/lib/index.js",
            "exports.twice = (n) => n * 2;\nexports.name = require('../package.json').main;\n",
        ),
        (
            "node_modules/dual/package.json",
            "{\"type\": \"module\", \"exports\": {\".\": {\"require\": \"./index.cjs\", \"import\": \"./index.js\"}}}",
        ),
        ("node_modules/dual/index.js", "export const kind = 'esm';\n"),
        ("node_modules/dual/index.cjs", "module.exports = { kind: 'cjs' };\n"),
        ("node_modules/esm-only/package.json", "{\"type\": \"module\", \"exports\": \"./main.js\"}"),
        (
            "node_modules/esm-only/main.js",
            "import { twice } from 'plain';\nexport const four = twice(2);\nexport default 'esm default';\n",
        ),
        (
            "lib/helper.cjs",
            "const plain = require('plain');\nconst dual = require('dual');\nconst esm = require('esm-only');\n\
             module.exports = { six: plain.twice(3), dual: dual.kind, four: esm.four, esmDefault: esm.default, name: plain.name };\n\
             module.exports.later = () => import('dual').then((m) => m.kind);\n",
        ),
        (
            "main.mjs",
            "import helper from './lib/helper.cjs';\nimport { kind } from 'dual';\nimport { twice } from 'plain';\n\
             export default async () => [helper, kind, twice(5), await helper.later()];\n",
        ),
    ]);
    assert_eq!(
        result,
        serde_json::json!([
            { "six": 6, "dual": "cjs", "four": 4, "esmDefault": "esm default", "name": "lib/index.js" },
            "esm",
            10,
            "esm"
        ])
    );
}

#[test]
fn what_mongrate_lacks_fails_naming_the_package_the_piece_and_the_requiring_file() {
    let (dir, result) = project(&[
        ("node_modules/fetcher/package.json", "{\"main\": \"index.js\"}"),
        ("node_modules/fetcher/index.js", "module.exports = require('./lib/adapter');\n"),
        ("node_modules/fetcher/lib/adapter.js", "const http = require('http');\nmodule.exports = {};\n"),
        ("node_modules/hasher/index.js", "module.exports = require('./build/Release/hasher.node');\n"),
        ("node_modules/hasher/build/Release/hasher.node", "\u{7f}ELF"),
        ("uses-fetcher.cjs", "module.exports = require('fetcher');\n"),
        ("uses-hasher.cjs", "module.exports = require('hasher');\n"),
        ("main.mjs", "import f from './uses-fetcher.cjs';\nexport default async () => f;\n"),
    ]);
    let why = result.expect_err("http is not provided");
    assert!(why.contains("the package 'fetcher'"), "{why}");
    assert!(why.contains("Node's 'http' module"), "{why}");
    assert!(why.contains("uses-fetcher.cjs"), "{why}");
    assert!(why.contains("adapter.js"), "{why}");

    std::fs::write(dir.path().join("main.mjs"), "import h from './uses-hasher.cjs';\nexport default async () => h;\n")
        .expect("write");
    let why = run(&dir.path().join("main.mjs")).expect_err("a native addon cannot load");
    assert!(why.contains("the package 'hasher'"), "{why}");
    assert!(why.contains("a native addon"), "{why}");
    assert!(why.contains("hasher.node"), "{why}");
    assert!(why.contains("uses-hasher.cjs"), "{why}");
}

#[test]
fn timers_run_on_the_event_loop_and_can_be_cleared() {
    let result = value(&[(
        "main.mjs",
        "import { setTimeout as wait } from 'timers/promises';\n\
         export default async () => {\n\
           const order = [];\n\
           const cancelled = setTimeout(() => order.push('never'), 1);\n\
           clearTimeout(cancelled);\n\
           setImmediate(() => order.push('immediate'));\n\
           let ticks = 0;\n\
           const interval = setInterval(() => { ticks += 1; if (ticks === 3) clearInterval(interval); }, 1);\n\
           const started = Date.now();\n\
           order.push(await wait(20, 'waited'));\n\
           process.nextTick(() => order.push('tick'));\n\
           await null;\n\
           return [order, ticks, Date.now() - started >= 15];\n\
         };\n",
    )]);
    assert_eq!(result, serde_json::json!([["immediate", "waited", "tick"], 3, true]));
}

#[test]
fn process_exit_and_assert_fail_with_clear_messages() {
    let (_dir, result) = project(&[("main.mjs", "export default async () => { process.exit(3); };\n")]);
    let why = result.expect_err("exit fails");
    assert!(why.contains("process.exit(3) was called: mongrate fails the migration"), "{why}");
    let (_dir, result) = project(&[(
        "main.mjs",
        "import assert from 'assert';\nexport default async () => { assert.deepStrictEqual({ a: 1 }, { a: 2 }); };\n",
    )]);
    let why = result.expect_err("assert fails");
    assert!(why.starts_with("AssertionError: Expected values to be strictly deep-equal"), "{why}");
}

#[test]
fn a_require_on_the_first_line_is_reported_at_its_column() {
    let (_dir, result) = project(&[
        ("first.cjs", "const missing = require('./nothing-here');\n"),
        ("main.mjs", "import './first.cjs';\nexport default async () => 1;\n"),
    ]);
    let why = result.expect_err("the require fails");
    assert!(why.contains("Cannot find module './nothing-here'"), "{why}");
    assert!(why.contains("first.cjs:1:17"), "the require's own column: {why}");
}
