//! The native side of Node's built-ins besides files (see `native_fs`): hashes and HMACs, random
//! bytes, UTF-8, what `os` reports, timers that can be cancelled, `process.exit`. The built-ins
//! themselves are JavaScript (`prelude/node/`); these are the parts JavaScript cannot do here.

use std::rc::Rc;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use rquickjs::function::{Async, Func, Opt};
use rquickjs::{Ctx, Exception, Object, TypedArray, Value};
use sha2::Digest;

use crate::bson_convert::typed_bytes;
use crate::host_state::HostState;

/// The hash functions `createHash` and `createHmac` know, by Node's names.
const ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

/// Node's algorithm names, in any case and with or without a dash (`SHA-256`, `RSA-SHA256`).
fn algorithm(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase().replace('-', "");
    let name = name.strip_prefix("rsa").unwrap_or(&name);
    ALGORITHMS.iter().copied().find(|known| *known == name)
}

fn digest(algorithm: &str, data: &[u8]) -> Vec<u8> {
    match algorithm {
        "md5" => md5::Md5::digest(data).to_vec(),
        "sha1" => sha1::Sha1::digest(data).to_vec(),
        "sha224" => sha2::Sha224::digest(data).to_vec(),
        "sha384" => sha2::Sha384::digest(data).to_vec(),
        "sha512" => sha2::Sha512::digest(data).to_vec(),
        _ => sha2::Sha256::digest(data).to_vec(),
    }
}

fn keyed<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so the key is never refused.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hmac(algorithm: &str, key: &[u8], data: &[u8]) -> Vec<u8> {
    match algorithm {
        "md5" => keyed::<hmac::Hmac<md5::Md5>>(key, data),
        "sha1" => keyed::<hmac::Hmac<sha1::Sha1>>(key, data),
        "sha224" => keyed::<hmac::Hmac<sha2::Sha224>>(key, data),
        "sha384" => keyed::<hmac::Hmac<sha2::Sha384>>(key, data),
        "sha512" => keyed::<hmac::Hmac<sha2::Sha512>>(key, data),
        _ => keyed::<hmac::Hmac<sha2::Sha256>>(key, data),
    }
}

fn unknown_digest(ctx: &Ctx<'_>, name: &str) -> rquickjs::Error {
    Exception::throw_type(
        ctx,
        &format!("Digest method not supported: '{name}' (mongrate knows {})", ALGORITHMS.join(", ")),
    )
}

fn bytes_of(array: &TypedArray<'_, u8>) -> Vec<u8> {
    typed_bytes(array).unwrap_or_default()
}

/// What `os` reports about the machine.
fn os_info<'js>(ctx: Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let info = Object::new(ctx)?;
    info.set("hostname", mongrate_core::host::AppliedBy::current().host)?;
    let home = std::env::var("HOME").unwrap_or_default();
    info.set("homedir", home)?;
    info.set("tmpdir", std::env::temp_dir().to_string_lossy().trim_end_matches('/').to_owned())?;
    info.set("username", std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_default())?;
    info.set("cpus", std::thread::available_parallelism().map_or(1, |n| n.get()) as u32)?;
    // Node's names for the architecture and the system.
    info.set(
        "arch",
        match std::env::consts::ARCH {
            "x86_64" => "x64",
            "aarch64" => "arm64",
            "x86" => "ia32",
            other => other,
        },
    )?;
    info.set(
        "type",
        match std::env::consts::OS {
            "linux" => "Linux",
            "macos" => "Darwin",
            "windows" => "Windows_NT",
            other => other,
        },
    )?;
    info.set("release", std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned())?;
    Ok(info)
}

/// What a migration that called `process.exit(code)` fails with.
pub fn exit_message(code: Option<i32>) -> String {
    let code = code.map(|c| c.to_string()).unwrap_or_default();
    format!(
        "process.exit({code}) was called: mongrate fails the migration (a migration ends by returning from up() or \
         down(); throw an Error to fail it)"
    )
}

/// Waits `ms` for timer `id`; `true` if the time passed, `false` if the timer was cancelled.
async fn timer(state: Rc<HostState>, id: u32, ms: f64) -> bool {
    let cancel = Rc::new(tokio::sync::Notify::new());
    state.timers.borrow_mut().insert(id, cancel.clone());
    let delay = Duration::from_secs_f64(if ms.is_finite() { ms.max(0.0) / 1000.0 } else { 0.0 });
    let fired = tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = cancel.notified() => false,
    };
    state.timers.borrow_mut().remove(&id);
    fired
}

/// Puts the functions on `__mongrate.native`.
pub fn install<'js>(native: &Object<'js>, state: &Rc<HostState>) -> rquickjs::Result<()> {
    native.set(
        "hash",
        Func::from(|ctx: Ctx<'js>, name: String, data: TypedArray<'js, u8>| {
            let Some(algorithm) = algorithm(&name) else { return Err(unknown_digest(&ctx, &name)) };
            TypedArray::<u8>::new(ctx.clone(), digest(algorithm, &bytes_of(&data)))
        }),
    )?;
    native.set(
        "hmac",
        Func::from(|ctx: Ctx<'js>, name: String, key: TypedArray<'js, u8>, data: TypedArray<'js, u8>| {
            let Some(algorithm) = algorithm(&name) else { return Err(unknown_digest(&ctx, &name)) };
            TypedArray::<u8>::new(ctx.clone(), hmac(algorithm, &bytes_of(&key), &bytes_of(&data)))
        }),
    )?;
    native.set("hashes", ALGORITHMS.to_vec())?;
    native.set(
        "randomBytes",
        Func::from(|ctx: Ctx<'js>, size: f64| {
            if !(0.0..=f64::from(i32::MAX)).contains(&size) || size.fract() != 0.0 {
                return Err(Exception::throw_range(
                    &ctx,
                    &format!("the size must be a whole number of bytes, not {size}"),
                ));
            }
            let mut bytes = vec![0u8; size as usize];
            getrandom::fill(&mut bytes)
                .map_err(|e| Exception::throw_message(&ctx, &format!("no random bytes from the system: {e}")))?;
            TypedArray::<u8>::new(ctx.clone(), bytes)
        }),
    )?;
    native.set(
        "utf8Encode",
        Func::from(|ctx: Ctx<'js>, text: String| TypedArray::<u8>::new(ctx.clone(), text.into_bytes())),
    )?;
    // Invalid sequences become U+FFFD, as Node decodes them; `fatal` (TextDecoder's) refuses them.
    native.set(
        "utf8Decode",
        Func::from(|ctx: Ctx<'js>, bytes: TypedArray<'js, u8>, fatal: Opt<bool>| {
            let bytes = bytes_of(&bytes);
            match String::from_utf8(bytes) {
                Ok(text) => Ok(text),
                Err(_) if fatal.0 == Some(true) => {
                    Err(Exception::throw_type(&ctx, "The encoded data was not valid for encoding utf-8"))
                }
                Err(invalid) => Ok(String::from_utf8_lossy(invalid.as_bytes()).into_owned()),
            }
        }),
    )?;
    native.set("osInfo", Func::from(os_info))?;
    let s = state.clone();
    native.set("timer", Func::from(Async(move |id: u32, ms: f64| timer(s.clone(), id, ms))))?;
    let s = state.clone();
    native.set(
        "cancelTimer",
        Func::from(move |id: u32| {
            if let Some(cancel) = s.timers.borrow().get(&id) {
                cancel.notify_one();
            }
        }),
    )?;
    let s = state.clone();
    native.set(
        "exit",
        Func::from(move |code: Value<'js>| {
            let code = code.as_number().filter(|n| n.is_finite()).map_or(0, |n| n as i32);
            s.exit_code.set(Some(code));
        }),
    )?;
    native.set(
        "exitMessage",
        Func::from(|code: Value<'js>| exit_message(code.as_number().filter(|n| n.is_finite()).map(|n| n as i32))),
    )?;
    let mut argv: Vec<String> = std::env::args().collect();
    let executable = std::env::current_exe().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    // Node's shape: the program, then the script, then the arguments.
    if argv.is_empty() {
        argv.push(executable.clone());
    }
    argv.insert(0, executable.clone());
    native.set("argv", argv)?;
    native.set("execPath", executable)?;
    native.set("pid", std::process::id())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn digests_by_node_names() {
        assert_eq!(algorithm("SHA-256"), Some("sha256"));
        assert_eq!(algorithm("RSA-SHA1"), Some("sha1"));
        assert_eq!(algorithm("whirlpool"), None);
        assert_eq!(hex(&digest("md5", b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex(&digest("sha1", b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(&digest("sha256", b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 4231, test case 2.
        assert_eq!(
            hex(&hmac("sha256", b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
