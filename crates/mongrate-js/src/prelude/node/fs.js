// Node's `fs`: the synchronous functions, their callback forms and `fs.promises`, for reading,
// writing and listing files (relative paths are relative to the working directory, as in Node).
// Streams, watching and file descriptors are not provided.
'use strict';

const { Buffer } = require('buffer');
const files = native.fs;

// A native error object as Node's error (`code`, `errno`, `syscall`, `path`).
function check(result) {
  if (result !== null && typeof result === 'object' && result.__error === true) {
    const error = new Error(result.message);
    for (const key of ['code', 'errno', 'syscall', 'path', 'dest']) if (result[key] !== undefined) error[key] = result[key];
    throw error;
  }
  return result;
}

// A path argument: a string, a Buffer, or a `file:` URL.
function pathOf(path, name = 'path') {
  if (typeof path === 'string') return path;
  if (path instanceof Uint8Array) return Buffer.from(path).toString();
  if (path !== null && typeof path === 'object' && typeof path.href === 'string' && path.protocol === 'file:') {
    return require('url').fileURLToPath(path);
  }
  const error = new TypeError(`The "${name}" argument must be of type string or an instance of Buffer or URL. Received ${path === null ? 'null' : typeof path}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  throw error;
}

const optionsOf = (options, defaults) => (typeof options === 'string' ? { ...defaults, encoding: options } : { ...defaults, ...(options || {}) });

function readFileSync(path, options) {
  const { encoding, flag } = optionsOf(options, { encoding: null });
  if (typeof path === 'number') throw unsupported('reading from a file descriptor');
  const file = pathOf(path);
  if (flag && !String(flag).startsWith('r')) throw unsupported(`the flag '${flag}' for reading`);
  if (encoding === 'utf8' || encoding === 'utf-8') return check(files.readFile(file, true));
  const bytes = check(files.readFile(file, false));
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return encoding ? buffer.toString(encoding) : buffer;
}

function dataBytes(data, encoding) {
  if (typeof data === 'string') return Buffer.from(data, encoding);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const error = new TypeError(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? 'null' : typeof data}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  throw error;
}

function writeFileSync(path, data, options) {
  const { encoding, flag } = optionsOf(options, { encoding: 'utf8', flag: 'w' });
  check(files.writeFile(pathOf(path), dataBytes(data, encoding), String(flag)));
}

function appendFileSync(path, data, options) {
  const { encoding, flag } = optionsOf(options, { encoding: 'utf8', flag: 'a' });
  check(files.writeFile(pathOf(path), dataBytes(data, encoding), String(flag)));
}

function existsSync(path) {
  try { return files.exists(pathOf(path)); } catch (_) { return false; }
}

// What a file is, as `Stats` and `Dirent` both answer it (`_kind` from the native side).
class FileKind {
  isFile() { return this._kind === 'file'; }
  isDirectory() { return this._kind === 'dir'; }
  isSymbolicLink() { return this._kind === 'symlink'; }
  isFIFO() { return false; }
  isSocket() { return false; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return this._kind === 'other'; }
}

class Stats extends FileKind {
  constructor(raw) {
    super();
    this._kind = raw.kind;
    for (const key of ['dev', 'mode', 'nlink', 'uid', 'gid', 'ino', 'size', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs']) {
      this[key] = raw[key] === undefined ? 0 : raw[key];
    }
    if (!raw.ctimeMs) this.ctimeMs = this.mtimeMs;
    this.rdev = 0;
    this.blksize = 4096;
    this.blocks = Math.ceil(this.size / 512);
    this.atime = new Date(this.atimeMs);
    this.mtime = new Date(this.mtimeMs);
    this.ctime = new Date(this.ctimeMs);
    this.birthtime = new Date(this.birthtimeMs);
  }
}

function statOf(path, options, follow) {
  const raw = files.stat(pathOf(path), follow);
  if (raw && raw.__error === true && raw.code === 'ENOENT' && options && options.throwIfNoEntry === false) return undefined;
  return new Stats(check(raw));
}
const statSync = (path, options) => statOf(path, options, true);
const lstatSync = (path, options) => statOf(path, options, false);

class Dirent extends FileKind {
  constructor(name, kind, parentPath) {
    super();
    this.name = name;
    this._kind = kind;
    this.parentPath = parentPath;
    this.path = parentPath;
  }
}

function readdirSync(path, options) {
  const { withFileTypes, encoding, recursive } = optionsOf(options, {});
  const root = pathOf(path);
  const out = [];
  const walk = (dir, prefix) => {
    for (const entry of check(files.readDir(dir))) {
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      out.push(withFileTypes ? new Dirent(entry.name, entry.kind, dir) : encoding === 'buffer' ? Buffer.from(name) : name);
      if (recursive && entry.kind === 'dir') walk(`${dir}/${entry.name}`, name);
    }
  };
  walk(root, '');
  return out;
}

function mkdirSync(path, options) {
  const recursive = typeof options === 'object' && options !== null && !!options.recursive;
  return check(files.mkdir(pathOf(path), recursive));
}

function rmSync(path, options) {
  const { recursive, force } = optionsOf(options, {});
  check(files.rm(pathOf(path), !!recursive, !!force));
}

const rmdirSync = (path, options) => {
  if (options && options.recursive) return rmSync(path, { recursive: true });
  return check(files.rmdir(pathOf(path)));
};
const unlinkSync = (path) => check(files.unlink(pathOf(path)));
const renameSync = (from, to) => check(files.rename(pathOf(from, 'oldPath'), pathOf(to, 'newPath')));
const copyFileSync = (from, to, mode) => check(files.copyFile(pathOf(from, 'src'), pathOf(to, 'dest'), ((mode || 0) & 1) === 1));
const realpathSync = (path) => check(files.realpath(pathOf(path)));
realpathSync.native = realpathSync;
const accessSync = (path) => check(files.access(pathOf(path)));

function mkdtempSync(prefix) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const name = `${prefix}${Math.random().toString(36).slice(2, 8)}`;
    if (!existsSync(name)) { mkdirSync(name); return name; }
  }
  throw new Error(`could not make a temporary folder from ${prefix}`);
}

function cpSync(from, to, options) {
  const source = pathOf(from, 'src');
  const target = pathOf(to, 'dest');
  if (statSync(source).isDirectory()) {
    if (!(options && options.recursive)) {
      const error = new Error(`Recursive option is required to copy a directory: ${source}`);
      error.code = 'ERR_FS_EISDIR';
      throw error;
    }
    mkdirSync(target, { recursive: true });
    for (const name of readdirSync(source)) cpSync(`${source}/${name}`, `${target}/${name}`, options);
  } else {
    copyFileSync(source, target);
  }
}

function unsupported(what) {
  const error = new Error(`fs: ${what} is not available in mongrate (it reads and writes whole files; streams, watching and file descriptors are not provided)`);
  error.code = 'ERR_MONGRATE_UNAVAILABLE';
  return error;
}

const sync = {
  readFileSync, writeFileSync, appendFileSync, existsSync, statSync, lstatSync, readdirSync, mkdirSync, rmSync,
  rmdirSync, unlinkSync, renameSync, copyFileSync, realpathSync, accessSync, mkdtempSync, cpSync,
};

// The promise and callback forms run the synchronous function (files are local and small).
const promises = {};
for (const [name, fn] of Object.entries(sync)) {
  if (name === 'existsSync') continue;
  const base = name.slice(0, -4);
  promises[base] = async (...args) => fn(...args);
  module.exports[base] = (...args) => {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (callback === null) {
      const error = new TypeError(`The "cb" argument must be of type function. Received ${typeof args[args.length]}`);
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    let result;
    try { result = fn(...args); } catch (error) { queueMicrotask(() => callback(error)); return; }
    queueMicrotask(() => callback(null, result));
  };
}
promises.constants = undefined;
Object.assign(module.exports, sync, {
  promises,
  exists: (path, callback) => { const found = existsSync(path); queueMicrotask(() => callback(found)); },
  constants: { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, COPYFILE_EXCL: 1, COPYFILE_FICLONE: 2, COPYFILE_FICLONE_FORCE: 4 },
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  Stats,
  Dirent,
});
promises.constants = module.exports.constants;
for (const name of ['createReadStream', 'createWriteStream', 'watch', 'watchFile', 'openSync', 'readSync', 'writeSync', 'closeSync', 'open', 'close', 'read', 'write', 'fstatSync', 'fsyncSync', 'opendirSync']) {
  module.exports[name] = () => { throw unsupported(`fs.${name}`); };
}
promises.open = async () => { throw unsupported('fs.promises.open'); };
