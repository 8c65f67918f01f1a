//! The native side of Node's `fs`: reading, writing and listing files, relative to the working
//! directory as in Node. Each function returns its result, or an error object the prelude turns
//! into Node's error (`code` such as `ENOENT`, `errno`, `syscall`, `path`, and Node's message).

use std::io::ErrorKind;
use std::path::Path;

use rquickjs::function::{Func, Opt};
use rquickjs::{Array, Ctx, IntoJs, Object, TypedArray, Value};

use crate::bson_convert::typed_bytes;
use crate::native::error_object;

/// Node's code and wording for an operating system error.
fn code_of(error: &std::io::Error) -> (&'static str, &'static str) {
    match error.kind() {
        ErrorKind::NotFound => ("ENOENT", "no such file or directory"),
        ErrorKind::PermissionDenied => ("EACCES", "permission denied"),
        ErrorKind::AlreadyExists => ("EEXIST", "file already exists"),
        ErrorKind::IsADirectory => ("EISDIR", "illegal operation on a directory"),
        ErrorKind::NotADirectory => ("ENOTDIR", "not a directory"),
        ErrorKind::DirectoryNotEmpty => ("ENOTEMPTY", "directory not empty"),
        ErrorKind::InvalidInput => ("EINVAL", "invalid argument"),
        ErrorKind::ReadOnlyFilesystem => ("EROFS", "read-only file system"),
        ErrorKind::StorageFull => ("ENOSPC", "no space left on device"),
        ErrorKind::CrossesDevices => ("EXDEV", "cross-device link not permitted"),
        ErrorKind::InvalidFilename => ("ENAMETOOLONG", "name too long"),
        ErrorKind::ResourceBusy => ("EBUSY", "resource busy or locked"),
        _ => ("EIO", "i/o error"),
    }
}

/// The error object for `syscall` on `path` (and `dest` for a copy or a rename).
fn failure<'js>(
    ctx: &Ctx<'js>,
    error: &std::io::Error,
    syscall: &str,
    path: &str,
    dest: Option<&str>,
) -> rquickjs::Result<Value<'js>> {
    let (code, words) = code_of(error);
    let target = dest.map(|d| format!(" -> '{d}'")).unwrap_or_default();
    let object = error_object(ctx, "fs", &format!("{code}: {words}, {syscall} '{path}'{target}"))?;
    object.set("code", code)?;
    object.set("errno", -error.raw_os_error().unwrap_or(5))?;
    object.set("syscall", syscall)?;
    object.set("path", path)?;
    if let Some(dest) = dest {
        object.set("dest", dest)?;
    }
    Ok(object.into_value())
}

fn answer<'js, T: IntoJs<'js>>(
    ctx: &Ctx<'js>,
    result: std::io::Result<T>,
    syscall: &str,
    path: &str,
) -> rquickjs::Result<Value<'js>> {
    match result {
        Ok(value) => value.into_js(ctx),
        Err(error) => failure(ctx, &error, syscall, path, None),
    }
}

fn millis(time: std::io::Result<std::time::SystemTime>) -> f64 {
    time.ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn kind_of(kind: std::fs::FileType) -> &'static str {
    if kind.is_symlink() {
        "symlink"
    } else if kind.is_dir() {
        "dir"
    } else if kind.is_file() {
        "file"
    } else {
        "other"
    }
}

/// What `fs.stat` reports; `follow`: the link's target rather than the link (`lstat`).
fn stat<'js>(ctx: Ctx<'js>, path: String, follow: bool) -> rquickjs::Result<Value<'js>> {
    let metadata = if follow { std::fs::metadata(&path) } else { std::fs::symlink_metadata(&path) };
    let metadata = match metadata {
        Ok(metadata) => metadata,
        Err(error) => return failure(&ctx, &error, if follow { "stat" } else { "lstat" }, &path, None),
    };
    let stats = Object::new(ctx.clone())?;
    stats.set("kind", kind_of(metadata.file_type()))?;
    stats.set("size", metadata.len() as f64)?;
    stats.set("mtimeMs", millis(metadata.modified()))?;
    stats.set("atimeMs", millis(metadata.accessed()))?;
    stats.set("birthtimeMs", millis(metadata.created()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        stats.set("mode", metadata.mode())?;
        stats.set("uid", metadata.uid())?;
        stats.set("gid", metadata.gid())?;
        stats.set("ino", metadata.ino() as f64)?;
        stats.set("dev", metadata.dev() as f64)?;
        stats.set("nlink", metadata.nlink() as f64)?;
        stats.set("ctimeMs", metadata.ctime() as f64 * 1000.0 + metadata.ctime_nsec() as f64 / 1e6)?;
    }
    Ok(stats.into_value())
}

/// The entries of a folder, by name in byte order as Node lists them, each with its kind.
fn read_dir<'js>(ctx: Ctx<'js>, path: String) -> rquickjs::Result<Value<'js>> {
    let listed = std::fs::read_dir(&path).and_then(|entries| {
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type().map_or("other", kind_of);
            found.push((entry.file_name().to_string_lossy().into_owned(), kind));
        }
        found.sort();
        Ok(found)
    });
    let found = match listed {
        Ok(found) => found,
        Err(error) => return failure(&ctx, &error, "scandir", &path, None),
    };
    let array = Array::new(ctx.clone())?;
    for (index, (name, kind)) in found.into_iter().enumerate() {
        let entry = Object::new(ctx.clone())?;
        entry.set("name", name)?;
        entry.set("kind", kind)?;
        array.set(index, entry)?;
    }
    Ok(array.into_value())
}

/// `mkdir`; with `recursive`, the first folder it made (or `undefined` when all existed).
fn make_dir<'js>(ctx: Ctx<'js>, path: String, recursive: bool) -> rquickjs::Result<Value<'js>> {
    if !recursive {
        return answer(&ctx, std::fs::create_dir(&path), "mkdir", &path);
    }
    let first = Path::new(&path)
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty() && !p.exists())
        .last()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()).to_string_lossy().into_owned());
    match std::fs::create_dir_all(&path) {
        Ok(()) => first.map_or_else(|| Ok(Value::new_undefined(ctx.clone())), |p| p.into_js(&ctx)),
        Err(error) => failure(&ctx, &error, "mkdir", &path, None),
    }
}

/// `rm`: a file, or with `recursive` a folder and all in it; with `force` a missing path is fine.
fn remove<'js>(ctx: Ctx<'js>, path: String, recursive: bool, force: bool) -> rquickjs::Result<Value<'js>> {
    let result = match std::fs::symlink_metadata(&path) {
        Ok(metadata) if metadata.is_dir() => {
            if recursive {
                std::fs::remove_dir_all(&path)
            } else {
                Err(std::io::Error::new(ErrorKind::IsADirectory, "is a directory"))
            }
        }
        Ok(_) => std::fs::remove_file(&path),
        Err(error) => Err(error),
    };
    match result {
        Err(error) if force && error.kind() == ErrorKind::NotFound => Ok(Value::new_undefined(ctx)),
        other => answer(&ctx, other, "rm", &path),
    }
}

/// Writes `data` to `path`: `flag` `w` (replace), `a` (append), `wx`/`ax` (the file must not exist).
fn write_file<'js>(
    ctx: Ctx<'js>,
    path: String,
    data: TypedArray<'js, u8>,
    flag: String,
) -> rquickjs::Result<Value<'js>> {
    use std::io::Write;
    let bytes = typed_bytes(&data).unwrap_or_default();
    let mut options = std::fs::OpenOptions::new();
    match flag.trim_end_matches('+') {
        "a" => options.append(true).create(true),
        "ax" | "xa" => options.append(true).create_new(true),
        "wx" | "xw" => options.write(true).create_new(true),
        _ => options.write(true).create(true).truncate(true),
    };
    let written = options.open(&path).and_then(|mut file| file.write_all(&bytes));
    answer(&ctx, written.map(|()| Value::new_undefined(ctx.clone())), "open", &path)
}

/// Puts the functions on `__mongrate.native.fs`.
pub fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    let fs = Object::new(ctx.clone())?;
    fs.set(
        "readFile",
        Func::from(|ctx: Ctx<'js>, path: String, text: Opt<bool>| -> rquickjs::Result<Value<'js>> {
            match std::fs::read(&path) {
                // Invalid UTF-8 becomes U+FFFD, as Node decodes it.
                Ok(bytes) if text.0 == Some(true) => String::from_utf8_lossy(&bytes).into_owned().into_js(&ctx),
                Ok(bytes) => Ok(TypedArray::<u8>::new(ctx.clone(), bytes)?.into_value()),
                Err(error) => failure(&ctx, &error, "open", &path, None),
            }
        }),
    )?;
    fs.set("writeFile", Func::from(write_file))?;
    fs.set("exists", Func::from(|path: String| Path::new(&path).exists()))?;
    fs.set("stat", Func::from(stat))?;
    fs.set("readDir", Func::from(read_dir))?;
    fs.set("mkdir", Func::from(make_dir))?;
    fs.set("rm", Func::from(remove))?;
    fs.set(
        "rmdir",
        Func::from(|ctx: Ctx<'js>, path: String| answer(&ctx, std::fs::remove_dir(&path), "rmdir", &path)),
    )?;
    fs.set(
        "unlink",
        Func::from(|ctx: Ctx<'js>, path: String| answer(&ctx, std::fs::remove_file(&path), "unlink", &path)),
    )?;
    fs.set(
        "rename",
        Func::from(|ctx: Ctx<'js>, from: String, to: String| match std::fs::rename(&from, &to) {
            Ok(()) => Ok(Value::new_undefined(ctx)),
            Err(error) => failure(&ctx, &error, "rename", &from, Some(&to)),
        }),
    )?;
    fs.set(
        "copyFile",
        Func::from(|ctx: Ctx<'js>, from: String, to: String, exclusive: bool| {
            if exclusive && Path::new(&to).exists() {
                let error = std::io::Error::new(ErrorKind::AlreadyExists, "exists");
                return failure(&ctx, &error, "copyfile", &from, Some(&to));
            }
            match std::fs::copy(&from, &to) {
                Ok(_) => Ok(Value::new_undefined(ctx)),
                Err(error) => failure(&ctx, &error, "copyfile", &from, Some(&to)),
            }
        }),
    )?;
    fs.set(
        "realpath",
        Func::from(|ctx: Ctx<'js>, path: String| {
            let real = std::fs::canonicalize(&path).map(|p| p.to_string_lossy().into_owned());
            answer(&ctx, real, "realpath", &path)
        }),
    )?;
    fs.set(
        "access",
        Func::from(|ctx: Ctx<'js>, path: String| {
            answer(&ctx, std::fs::metadata(&path).map(|_| Value::new_undefined(ctx.clone())), "access", &path)
        }),
    )?;
    native.set("fs", fs)?;
    Ok(())
}
