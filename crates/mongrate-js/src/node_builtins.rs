//! Node's built-in modules as mongrate provides them: which names exist, which are Node's but not
//! mongrate's (the network, streams, child processes: they fail with a message), and the
//! JavaScript of each provided one, compiled when a migration first requires it.

use rquickjs::{Ctx, Exception, Function};

use crate::position::eval_function;

/// Built-in names a migration or a package can require (with or without `node:`).
pub const PROVIDED: &[&str] = &[
    "assert",
    "assert/strict",
    "buffer",
    "console",
    "crypto",
    "events",
    "fs",
    "fs/promises",
    "module",
    "os",
    "path",
    "path/posix",
    "perf_hooks",
    "process",
    "querystring",
    "string_decoder",
    "sys",
    "timers",
    "timers/promises",
    "tty",
    "url",
    "util",
    "util/types",
];

/// Node's other built-in modules: requiring one fails, naming it.
pub const NOT_PROVIDED: &[&str] = &[
    "async_hooks",
    "child_process",
    "cluster",
    "constants",
    "dgram",
    "diagnostics_channel",
    "dns",
    "dns/promises",
    "domain",
    "http",
    "http2",
    "https",
    "inspector",
    "inspector/promises",
    "net",
    "path/win32",
    "punycode",
    "readline",
    "readline/promises",
    "repl",
    "sea",
    "sqlite",
    "stream",
    "stream/consumers",
    "stream/promises",
    "stream/web",
    "test",
    "tls",
    "trace_events",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// The JavaScript of each module the others are aliases of (`fs/promises` is `fs`'s `promises`).
const SOURCES: &[(&str, &str)] = &[
    ("assert", include_str!("prelude/node/assert.js")),
    ("buffer", include_str!("prelude/node/buffer.js")),
    ("crypto", include_str!("prelude/node/crypto.js")),
    ("events", include_str!("prelude/node/events.js")),
    ("fs", include_str!("prelude/node/fs.js")),
    ("module", include_str!("prelude/node/module.js")),
    ("os", include_str!("prelude/node/os.js")),
    ("path", include_str!("prelude/node/path.js")),
    ("perf_hooks", include_str!("prelude/node/perf_hooks.js")),
    ("querystring", include_str!("prelude/node/querystring.js")),
    ("string_decoder", include_str!("prelude/node/string_decoder.js")),
    ("timers", include_str!("prelude/node/timers.js")),
    ("tty", include_str!("prelude/node/tty.js")),
    ("url", include_str!("prelude/node/url.js")),
    ("util", include_str!("prelude/node/util.js")),
];

/// Whether `name` (without `node:`) is a built-in mongrate provides.
pub fn is_provided(name: &str) -> bool {
    PROVIDED.contains(&name)
}

/// Whether `name` (without `node:`) is one of Node's built-ins mongrate does not provide.
pub fn is_node_only(name: &str) -> bool {
    NOT_PROVIDED.contains(&name)
}

/// The function `(module, exports, require, M, native)` whose call fills the module's exports.
/// Its frames are named `mongrate:node:NAME`, which error messages leave out as mongrate's own.
pub fn compile<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Function<'js>> {
    let Some((_, source)) = SOURCES.iter().find(|(known, _)| *known == name) else {
        return Err(Exception::throw_message(ctx, &format!("mongrate has no source for the built-in module '{name}'")));
    };
    eval_function(ctx, "module, exports, require, M, native", source, &format!("mongrate:node:{name}"), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_name_is_both_provided_and_not() {
        for name in PROVIDED {
            assert!(!NOT_PROVIDED.contains(name), "{name}");
        }
    }
}
