// Node's `path` (POSIX rules): joining, resolving against process.cwd(), taking paths apart.
'use strict';

function check(value, name) {
  if (typeof value !== 'string') {
    const error = new TypeError(`The "${name}" argument must be of type string. Received ${value === null ? 'null' : typeof value}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
}

// `.` and `..` worked out; a relative path keeps the `..` it cannot go above.
function normalizeParts(path, absolute) {
  const out = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else {
      out.push(part);
    }
  }
  return out.join('/');
}

function normalize(path) {
  check(path, 'path');
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const trailing = path.endsWith('/');
  let result = normalizeParts(path, absolute);
  if (result === '' && !absolute) result = '.';
  if (result !== '' && trailing) result += '/';
  return absolute ? `/${result}` : result;
}

function join(...parts) {
  for (const part of parts) check(part, 'path');
  const joined = parts.filter((part) => part !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

function resolve(...parts) {
  let resolved = '';
  let absolute = false;
  for (let index = parts.length - 1; index >= -1 && !absolute; index--) {
    const part = index >= 0 ? parts[index] : process.cwd();
    check(part, 'paths[' + index + ']');
    if (part === '') continue;
    resolved = `${part}/${resolved}`;
    absolute = part.startsWith('/');
  }
  const result = normalizeParts(resolved, absolute);
  return absolute ? `/${result}` : result || '.';
}

function isAbsolute(path) {
  check(path, 'path');
  return path.startsWith('/');
}

function trimTrailing(path) {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

function dirname(path) {
  check(path, 'path');
  if (path === '') return '.';
  const trimmed = trimTrailing(path);
  const slash = trimmed.lastIndexOf('/');
  if (slash === -1) return '.';
  if (slash === 0) return '/';
  return trimTrailing(trimmed.slice(0, slash));
}

function basename(path, ext) {
  check(path, 'path');
  if (ext !== undefined) check(ext, 'ext');
  const trimmed = trimTrailing(path);
  let base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (trimmed === '/') base = '';
  if (ext && base.endsWith(ext) && base !== ext) base = base.slice(0, base.length - ext.length);
  return base;
}

function extname(path) {
  check(path, 'path');
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return '';
  return base.slice(dot);
}

function relative(from, to) {
  check(from, 'from');
  check(to, 'to');
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

function parse(path) {
  check(path, 'path');
  const root = path.startsWith('/') ? '/' : '';
  const base = basename(path);
  const ext = extname(path);
  let dir = dirname(path);
  if (dir === '.' && !path.includes('/')) dir = '';
  return { root, dir, base, ext, name: ext ? base.slice(0, base.length - ext.length) : base };
}

function format(parts) {
  if (parts === null || typeof parts !== 'object') throw new TypeError('The "pathObject" argument must be of type object');
  const dir = parts.dir || parts.root || '';
  const base = parts.base || `${parts.name || ''}${parts.ext ? (parts.ext.startsWith('.') ? '' : '.') + parts.ext : ''}`;
  if (!dir) return base;
  return dir === parts.root ? `${dir}${base}` : `${dir}/${base}`;
}

const path = {
  sep: '/',
  delimiter: ':',
  normalize, join, resolve, isAbsolute, dirname, basename, extname, relative, parse, format,
  toNamespacedPath: (p) => p,
};
path.posix = path;
module.exports = path;
