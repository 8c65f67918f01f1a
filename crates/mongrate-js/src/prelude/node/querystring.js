// Node's `querystring`: `a=1&b=2` to an object and back.
'use strict';

const escape = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function unescape(text) {
  const plain = text.replace(/\+/g, ' ');
  try { return decodeURIComponent(plain); } catch (_) { return plain.replace(/%([0-9a-fA-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))); }
}

function primitive(value) {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return '';
}

function stringify(object, sep = '&', eq = '=', options) {
  const encode = (options && options.encodeURIComponent) || escape;
  if (object === null || typeof object !== 'object') return '';
  return Object.keys(object).map((key) => {
    const value = object[key];
    const name = encode(primitive(key));
    if (Array.isArray(value)) return value.map((item) => `${name}${eq}${encode(primitive(item))}`).join(sep);
    return `${name}${eq}${encode(primitive(value))}`;
  }).filter((part) => part !== '').join(sep);
}

function parse(text, sep = '&', eq = '=', options) {
  const decode = (options && options.decodeURIComponent) || unescape;
  const max = options && options.maxKeys !== undefined ? options.maxKeys : 1000;
  const out = Object.create(null);
  if (typeof text !== 'string' || text === '') return out;
  let parts = text.split(sep);
  if (max > 0) parts = parts.slice(0, max);
  for (const part of parts) {
    if (part === '') continue;
    const at = part.indexOf(eq);
    const key = decode(at >= 0 ? part.slice(0, at) : part);
    const value = at >= 0 ? decode(part.slice(at + eq.length)) : '';
    if (!(key in out)) out[key] = value;
    else if (Array.isArray(out[key])) out[key].push(value);
    else out[key] = [out[key], value];
  }
  return out;
}

module.exports = { stringify, parse, escape, unescape, encode: stringify, decode: parse };
