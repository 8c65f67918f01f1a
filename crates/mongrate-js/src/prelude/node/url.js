// Node's `url`: the WHATWG `URL` and `URLSearchParams` (for the URLs configurations and migrations
// handle: special schemes such as http and file, and others such as mongodb with one host),
// `fileURLToPath`/`pathToFileURL`, and the legacy `parse`/`format`/`resolve`.
'use strict';

const SPECIAL = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443, 'ftp:': 21, 'file:': null };

// Characters each part percent-encodes besides controls, spaces and non-ASCII.
const FRAGMENT = '"<>`';
const QUERY = '"#<>';
const SPECIAL_QUERY = '"#<>\'';
const PATH = '"#<>?`{}';
const USERINFO = '"#<>?`{}/:;=@[\\]^|';

function encodeSet(text, set) {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0);
    if (code <= 0x20 || code >= 0x7f || set.includes(char)) {
      out += code < 0x80 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(char);
    } else {
      out += char;
    }
  }
  return out;
}

function invalid(input) {
  const error = new TypeError('Invalid URL');
  error.code = 'ERR_INVALID_URL';
  error.input = input;
  return error;
}

// `.` and `..` segments of a path worked out, as the URL standard does.
function dotSegments(path) {
  const out = [];
  const parts = path.split('/').slice(1);
  parts.forEach((part, index) => {
    const last = index === parts.length - 1;
    const segment = part.toLowerCase();
    if (segment === '..' || segment === '.%2e' || segment === '%2e.' || segment === '%2e%2e') {
      out.pop();
      if (last) out.push('');
    } else if (segment === '.' || segment === '%2e') {
      if (last) out.push('');
    } else {
      out.push(part);
    }
  });
  return `/${out.join('/')}`;
}

function parseHost(host, special, input) {
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw invalid(input);
    return host.toLowerCase();
  }
  if (/[\s#%/:<>?@[\\\]^|]/.test(host)) throw invalid(input);
  if (!special) return host;
  if (host === '' ) throw invalid(input);
  let ascii = host.toLowerCase();
  try { ascii = decodeURIComponent(ascii); } catch (_) { throw invalid(input); }
  return ascii;
}

// The parts of an absolute URL, or of `input` resolved against `base`.
function parse(input, base) {
  const text = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  let url;
  if (scheme) {
    const protocol = `${scheme[1].toLowerCase()}:`;
    let rest = text.slice(scheme[0].length);
    const special = protocol in SPECIAL;
    if (special && base && base.protocol === protocol && !/^[/\\]/.test(rest)) {
      return relative(rest, base, input);
    }
    url = { protocol, username: '', password: '', hostname: '', port: '', pathname: '', search: '', hash: '', opaque: false };
    if (special && protocol !== 'file:') rest = rest.replace(/^[/\\]*/, '//');
    if (rest.startsWith('//')) {
      rest = authority(url, rest.slice(2), special, input);
    } else if (!special && !rest.startsWith('/')) {
      url.opaque = true;
    }
    rest = tail(url, rest, special);
    url.pathname = url.opaque ? encodeSet(rest, '') : pathOf(rest, special, url.protocol === 'file:');
  } else {
    if (!base) throw invalid(input);
    return relative(text, base, input);
  }
  return url;
}

function authority(url, rest, special, input) {
  const end = rest.search(special ? /[/\\?#]/ : /[/?#]/);
  const part = end === -1 ? rest : rest.slice(0, end);
  const remaining = end === -1 ? '' : rest.slice(end);
  const at = part.lastIndexOf('@');
  let host = part;
  if (at !== -1) {
    const userinfo = part.slice(0, at);
    host = part.slice(at + 1);
    const colon = userinfo.indexOf(':');
    url.username = encodeSet(colon === -1 ? userinfo : userinfo.slice(0, colon), USERINFO);
    url.password = colon === -1 ? '' : encodeSet(userinfo.slice(colon + 1), USERINFO);
  }
  const portMatch = /:([^:\]]*)$/.exec(host);
  if (portMatch) {
    host = host.slice(0, portMatch.index);
    const port = portMatch[1];
    if (port !== '') {
      if (!/^\d+$/.test(port) || Number(port) > 65535) throw invalid(input);
      url.port = String(Number(port)) === String(SPECIAL[url.protocol]) ? '' : String(Number(port));
    }
  }
  if (url.protocol === 'file:' && host === 'localhost') host = '';
  url.hostname = host === '' && !special ? '' : url.protocol === 'file:' && host === '' ? '' : parseHost(host, special, input);
  url.hasAuthority = true;
  return remaining;
}

// Takes the query and fragment off `rest` (into `url`), and gives back the path.
function tail(url, rest, special) {
  const hash = rest.indexOf('#');
  if (hash !== -1) {
    url.hash = hash === rest.length - 1 ? '' : `#${encodeSet(rest.slice(hash + 1), FRAGMENT)}`;
    rest = rest.slice(0, hash);
  }
  const query = rest.indexOf('?');
  if (query !== -1) {
    url.search = query === rest.length - 1 ? '' : `?${encodeSet(rest.slice(query + 1), special ? SPECIAL_QUERY : QUERY)}`;
    rest = rest.slice(0, query);
  }
  return rest;
}

function pathOf(path, special, file) {
  let text = special ? path.replace(/\\/g, '/') : path;
  if (special && text === '') text = '/';
  if (text === '') return '';
  if (!text.startsWith('/')) text = `/${text}`;
  let out = dotSegments(encodeSet(text, PATH));
  if (file && /^\/[A-Za-z]\|/.test(out)) out = `/${out[1]}:${out.slice(3)}`;
  return out;
}

function relative(text, base, input) {
  if (base.opaque) {
    if (text.startsWith('#')) return { ...base, hash: text.length > 1 ? `#${encodeSet(text.slice(1), FRAGMENT)}` : '' };
    throw invalid(input);
  }
  const special = base.protocol in SPECIAL;
  const url = { ...base, hash: '' };
  if (/^[/\\]{2}/.test(text) && (special || text.startsWith('//'))) {
    const fresh = { protocol: base.protocol, username: '', password: '', hostname: '', port: '', pathname: '', search: '', hash: '', opaque: false };
    const rest = tail(fresh, authority(fresh, text.slice(2), special, input), special);
    fresh.pathname = pathOf(rest, special, base.protocol === 'file:');
    return fresh;
  }
  let rest = tail(url, text, special);
  if (text.startsWith('?')) { url.search = url.search || ''; return url; }
  if (text.startsWith('#') || text === '') {
    url.search = base.search;
    if (text === '') url.hash = '';
    return url;
  }
  if (!text.includes('?')) url.search = '';
  if (/^[/\\]/.test(rest) && (special || rest.startsWith('/'))) {
    url.pathname = pathOf(rest, special, base.protocol === 'file:');
  } else {
    const dir = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1) || '/';
    url.pathname = pathOf(dir + rest, special, base.protocol === 'file:');
  }
  return url;
}

// ---- URLSearchParams ----
const formEncode = (text) => encodeURIComponent(text).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function formDecode(text) {
  const plain = text.replace(/\+/g, ' ');
  try { return decodeURIComponent(plain); } catch (_) { return plain; }
}

class URLSearchParams {
  constructor(init) {
    this._list = [];
    this._url = null;
    if (init === undefined || init === null) return;
    if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') {
      for (const pair of init) {
        const [name, value] = [...pair];
        this._list.push([String(name), String(value)]);
      }
    } else if (typeof init === 'object') {
      for (const key of Object.keys(init)) this._list.push([key, String(init[key])]);
    } else {
      this._parse(String(init));
    }
  }
  _parse(text) {
    this._list = [];
    for (const part of text.replace(/^\?/, '').split('&')) {
      if (part === '') continue;
      const at = part.indexOf('=');
      this._list.push(at === -1 ? [formDecode(part), ''] : [formDecode(part.slice(0, at)), formDecode(part.slice(at + 1))]);
    }
  }
  _changed() {
    if (this._url) {
      const text = this.toString();
      this._url._parts.search = text ? `?${text}` : '';
    }
  }
  get size() { return this._list.length; }
  append(name, value) { this._list.push([String(name), String(value)]); this._changed(); }
  delete(name, value) {
    this._list = this._list.filter(([key, item]) => key !== String(name) || (value !== undefined && item !== String(value)));
    this._changed();
  }
  get(name) { const found = this._list.find(([key]) => key === String(name)); return found ? found[1] : null; }
  getAll(name) { return this._list.filter(([key]) => key === String(name)).map(([, value]) => value); }
  has(name, value) { return this._list.some(([key, item]) => key === String(name) && (value === undefined || item === String(value))); }
  set(name, value) {
    const key = String(name);
    const at = this._list.findIndex(([item]) => item === key);
    if (at === -1) this._list.push([key, String(value)]);
    else this._list = [...this._list.slice(0, at), [key, String(value)], ...this._list.slice(at + 1).filter(([item]) => item !== key)];
    this._changed();
  }
  sort() { this._list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)); this._changed(); }
  forEach(fn, thisArg) { for (const [key, value] of this._list) fn.call(thisArg, value, key, this); }
  keys() { return this._list.map(([key]) => key)[Symbol.iterator](); }
  values() { return this._list.map(([, value]) => value)[Symbol.iterator](); }
  entries() { return this._list.map(([key, value]) => [key, value])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this._list.map(([key, value]) => `${formEncode(key)}=${formEncode(value)}`).join('&'); }
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `URLSearchParams { ${this._list.map(([k, v]) => `'${k}' => '${v}'`).join(', ')} }`;
  }
}

// ---- URL ----
class URL {
  constructor(input, base) {
    const baseParts = base === undefined ? undefined : (base instanceof URL ? base._parts : parse(String(base)));
    this._parts = parse(String(input), baseParts);
    this._params = null;
  }
  static canParse(input, base) { try { new URL(input, base); return true; } catch (_) { return false; } }
  static parse(input, base) { try { return new URL(input, base); } catch (_) { return null; } }
  get protocol() { return this._parts.protocol; }
  set protocol(value) { const next = String(value).replace(/:?$/, ':').toLowerCase(); if (/^[a-z][a-z0-9+.-]*:$/.test(next)) this._parts.protocol = next; }
  get username() { return this._parts.username; }
  set username(value) { this._parts.username = encodeSet(String(value), USERINFO); }
  get password() { return this._parts.password; }
  set password(value) { this._parts.password = encodeSet(String(value), USERINFO); }
  get hostname() { return this._parts.hostname; }
  set hostname(value) { this._parts.hostname = parseHost(String(value), this._parts.protocol in SPECIAL, value); }
  get port() { return this._parts.port; }
  set port(value) {
    const text = String(value);
    if (text === '') { this._parts.port = ''; return; }
    const match = /^\d+/.exec(text);
    if (match && Number(match[0]) <= 65535) this._parts.port = String(Number(match[0])) === String(SPECIAL[this._parts.protocol]) ? '' : String(Number(match[0]));
  }
  get host() { return this._parts.port ? `${this._parts.hostname}:${this._parts.port}` : this._parts.hostname; }
  set host(value) {
    const [hostname, port] = String(value).split(/:(?=[^:\]]*$)/);
    this.hostname = hostname;
    if (port !== undefined) this.port = port;
  }
  get origin() {
    const p = this._parts;
    return p.protocol in SPECIAL && p.protocol !== 'file:' ? `${p.protocol}//${this.host}` : 'null';
  }
  get pathname() { return this._parts.pathname; }
  set pathname(value) {
    if (this._parts.opaque) return;
    const special = this._parts.protocol in SPECIAL;
    this._parts.pathname = pathOf(String(value), special, this._parts.protocol === 'file:');
  }
  get search() { return this._parts.search.length > 1 ? this._parts.search : ''; }
  set search(value) {
    const text = String(value).replace(/^\?/, '');
    this._parts.search = text ? `?${encodeSet(text, this._parts.protocol in SPECIAL ? SPECIAL_QUERY : QUERY)}` : '';
    if (this._params) this._params._parse(text);
  }
  get searchParams() {
    if (!this._params) {
      this._params = new URLSearchParams(this.search);
      this._params._url = this;
    }
    return this._params;
  }
  get hash() { return this._parts.hash.length > 1 ? this._parts.hash : ''; }
  set hash(value) {
    const text = String(value).replace(/^#/, '');
    this._parts.hash = text ? `#${encodeSet(text, FRAGMENT)}` : '';
  }
  get href() {
    const p = this._parts;
    let out = p.protocol;
    if (p.hasAuthority || (p.protocol in SPECIAL)) {
      out += '//';
      if (p.username || p.password) out += `${p.username}${p.password ? `:${p.password}` : ''}@`;
      out += this.host;
    } else if (!p.opaque && p.pathname.startsWith('//')) {
      out += '/.';
    }
    return out + p.pathname + p.search + p.hash;
  }
  set href(value) {
    this._parts = parse(String(value));
    if (this._params) this._params._parse(this.search);
  }
  toString() { return this.href; }
  toJSON() { return this.href; }
  [Symbol.for('nodejs.util.inspect.custom')]() { return `URL { href: '${this.href}' }`; }
}

// ---- files ----
function fileURLToPath(url) {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (!parsed || parsed.protocol !== 'file:') {
    const error = new TypeError('The URL must be of scheme file');
    error.code = 'ERR_INVALID_URL_SCHEME';
    throw error;
  }
  if (parsed.hostname !== '') {
    const error = new TypeError(`File URL host must be "localhost" or empty on ${process.platform}`);
    error.code = 'ERR_INVALID_FILE_URL_HOST';
    throw error;
  }
  if (/%2f/i.test(parsed.pathname)) {
    const error = new TypeError('File URL path must not include encoded / characters');
    error.code = 'ERR_INVALID_FILE_URL_PATH';
    throw error;
  }
  return decodeURIComponent(parsed.pathname);
}

function pathToFileURL(path) {
  const absolute = require('path').resolve(String(path));
  const trailing = String(path).endsWith('/') && !absolute.endsWith('/') ? '/' : '';
  return new URL(`file://${encodeSet(absolute.replace(/%/g, '%25') + trailing, '"#<>?`{}')}`);
}

// ---- the legacy API ----
function Url() {
  Object.assign(this, { protocol: null, slashes: null, auth: null, host: null, port: null, hostname: null, hash: null, search: null, query: null, pathname: null, path: null, href: null });
}

function legacyParse(text, parseQuery) {
  const out = new Url();
  const value = String(text).trim();
  let rest = value;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*:)/.exec(rest);
  if (scheme) { out.protocol = scheme[1].toLowerCase(); rest = rest.slice(scheme[1].length); }
  const hash = rest.indexOf('#');
  if (hash !== -1) { out.hash = rest.slice(hash); rest = rest.slice(0, hash); }
  const query = rest.indexOf('?');
  if (query !== -1) { out.search = rest.slice(query); out.query = rest.slice(query + 1); rest = rest.slice(0, query); } else if (parseQuery) { out.search = ''; out.query = {}; }
  if (parseQuery && typeof out.query === 'string') out.query = require('querystring').parse(out.query);
  if (rest.startsWith('//')) {
    out.slashes = true;
    rest = rest.slice(2);
    const end = rest.indexOf('/');
    const authorityPart = end === -1 ? rest : rest.slice(0, end);
    rest = end === -1 ? '' : rest.slice(end);
    const at = authorityPart.lastIndexOf('@');
    if (at !== -1) out.auth = decodeURIComponent(authorityPart.slice(0, at));
    out.host = (at === -1 ? authorityPart : authorityPart.slice(at + 1)).toLowerCase();
    const port = /:(\d*)$/.exec(out.host);
    out.hostname = port ? out.host.slice(0, port.index) : out.host;
    out.port = port && port[1] !== '' ? port[1] : null;
    if (rest === '' && out.protocol in SPECIAL) rest = '/';
  }
  out.pathname = rest || null;
  out.path = (out.pathname || '') + (out.search || '') || null;
  out.href = legacyFormat(out);
  return out;
}

function legacyFormat(url) {
  if (url instanceof URL) return url.href;
  if (typeof url === 'string') return legacyFormat(legacyParse(url));
  const protocol = url.protocol ? (url.protocol.endsWith(':') ? url.protocol : `${url.protocol}:`) : '';
  let host = '';
  if (url.host) host = url.host;
  else if (url.hostname) host = url.hostname + (url.port ? `:${url.port}` : '');
  const auth = url.auth ? `${encodeURIComponent(url.auth).replace(/%3A/i, ':')}@` : '';
  const slashes = url.slashes || protocol in SPECIAL || host ? '//' : '';
  let search = url.search || '';
  if (!search && url.query && typeof url.query === 'object') {
    const text = require('querystring').stringify(url.query);
    search = text ? `?${text}` : '';
  }
  if (search && !search.startsWith('?')) search = `?${search}`;
  let hash = url.hash || '';
  if (hash && !hash.startsWith('#')) hash = `#${hash}`;
  return `${protocol}${host || auth ? slashes : ''}${auth}${host}${url.pathname || ''}${search}${hash}`;
}

const legacyResolve = (from, to) => new URL(to, new URL(from, 'resolve://')).href.replace(/^resolve:\/\//, '');

module.exports = {
  URL,
  URLSearchParams,
  fileURLToPath,
  pathToFileURL,
  Url,
  parse: legacyParse,
  format: legacyFormat,
  resolve: legacyResolve,
  domainToASCII: (domain) => String(domain).toLowerCase(),
  domainToUnicode: (domain) => String(domain),
  urlToHttpOptions: (url) => ({ protocol: url.protocol, hostname: url.hostname, hash: url.hash, search: url.search, pathname: url.pathname, path: `${url.pathname}${url.search}`, href: url.href, port: url.port ? Number(url.port) : undefined }),
};
