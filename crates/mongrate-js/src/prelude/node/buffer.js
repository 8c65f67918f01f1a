// Node's `Buffer`: a Uint8Array with encodings (utf8, hex, base64, base64url, latin1, ascii,
// utf16le), comparison, searching and number reads and writes.
'use strict';

const ENCODINGS = ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'ucs2', 'ucs-2', 'utf16le', 'utf-16le'];

function encodingOf(encoding) {
  if (encoding === undefined || encoding === null) return 'utf8';
  const name = String(encoding).toLowerCase();
  switch (name) {
    case 'utf8': case 'utf-8': return 'utf8';
    case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
    case 'latin1': case 'binary': return 'latin1';
    case 'hex': case 'base64': case 'base64url': case 'ascii': return name;
    default: {
      const error = new TypeError(`Unknown encoding: ${encoding}`);
      error.code = 'ERR_UNKNOWN_ENCODING';
      throw error;
    }
  }
}

function invalidType(name, value) {
  const error = new TypeError(`The "${name}" argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received ${value === null ? 'null' : typeof value}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  return error;
}

// Node's base64 decoding is lenient: URL-safe letters, whitespace and missing padding are fine.
function fromBase64(text) {
  let clean = text.replace(/[^A-Za-z0-9+/\-_]/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (clean.length % 4 === 1) clean = clean.slice(0, -1);
  while (clean.length % 4 !== 0) clean += '=';
  return native.base64Decode(clean);
}

function stringBytes(text, encoding) {
  switch (encodingOf(encoding)) {
    case 'utf8': return native.utf8Encode(text);
    case 'hex': {
      const length = text.length >>> 1;
      const bytes = new Uint8Array(length);
      let count = 0;
      for (; count < length; count++) {
        const byte = parseInt(text.substr(count * 2, 2), 16);
        if (Number.isNaN(byte)) break;
        bytes[count] = byte;
      }
      return bytes.subarray(0, count);
    }
    case 'base64': case 'base64url': return fromBase64(text);
    case 'latin1': case 'ascii': return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
    case 'utf16le': {
      const bytes = new Uint8Array(text.length * 2);
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        bytes[i * 2] = code & 0xff;
        bytes[i * 2 + 1] = code >>> 8;
      }
      return bytes;
    }
    default: return native.utf8Encode(text);
  }
}

function bytesText(bytes, encoding) {
  switch (encodingOf(encoding)) {
    case 'utf8': return native.utf8Decode(bytes);
    case 'hex': {
      let text = '';
      for (let i = 0; i < bytes.length; i++) text += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
      return text;
    }
    case 'base64': return native.base64Encode(bytes);
    case 'base64url': return native.base64Encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    case 'latin1': case 'ascii': {
      const mask = encodingOf(encoding) === 'ascii' ? 0x7f : 0xff;
      let text = '';
      for (let i = 0; i < bytes.length; i += 4096) {
        text += String.fromCharCode(...Array.from(bytes.subarray(i, i + 4096), (b) => b & mask));
      }
      return text;
    }
    case 'utf16le': {
      let text = '';
      for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
      return text;
    }
    default: return native.utf8Decode(bytes);
  }
}

function checkOffset(buffer, offset, size) {
  if (offset === undefined) offset = 0;
  if (typeof offset !== 'number' || !Number.isInteger(offset)) {
    const error = new TypeError(`The "offset" argument must be an integer. Received ${offset}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  if (offset < 0 || offset + size > buffer.length) {
    const error = new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${buffer.length - size}. Received ${offset}`);
    error.code = 'ERR_OUT_OF_RANGE';
    throw error;
  }
  return offset;
}

const view = (buffer) => new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);

class Buffer extends Uint8Array {
  // `new Buffer(…)` (deprecated in Node) as Buffer.from / Buffer.alloc.
  constructor(value, encodingOrOffset, length) {
    if (typeof value === 'string') return Buffer.from(value, encodingOrOffset);
    if (Array.isArray(value)) return Buffer.from(value);
    super(value, encodingOrOffset, length);
  }

  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') {
      const bytes = stringBytes(value, encodingOrOffset);
      return new Buffer(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
      const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset);
      const size = length === undefined ? value.byteLength - offset : Number(length);
      return new Buffer(value, offset, size);
    }
    if (ArrayBuffer.isView(value)) {
      const copy = new Buffer(value.length);
      for (let i = 0; i < value.length; i++) copy[i] = Number(value[i]) & 0xff;
      return copy;
    }
    if (value !== null && typeof value === 'object') {
      if (value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      if (typeof value.length === 'number') {
        const copy = new Buffer(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = Number(value[i]) & 0xff;
        return copy;
      }
      const primitive = typeof value[Symbol.toPrimitive] === 'function' ? value[Symbol.toPrimitive]('string') : value.valueOf();
      if (typeof primitive === 'string') return Buffer.from(primitive, encodingOrOffset);
    }
    throw invalidType('first', value);
  }

  static alloc(size, fill, encoding) {
    const buffer = new Buffer(size);
    if (fill !== undefined && fill !== 0) buffer.fill(fill, 0, buffer.length, encoding);
    return buffer;
  }
  static allocUnsafe(size) { return new Buffer(size); }
  static allocUnsafeSlow(size) { return new Buffer(size); }
  static isBuffer(value) { return value instanceof Buffer; }
  static isEncoding(encoding) { return typeof encoding === 'string' && ENCODINGS.includes(encoding.toLowerCase()); }
  static byteLength(value, encoding) {
    if (typeof value !== 'string') {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
      throw invalidType('string', value);
    }
    return stringBytes(value, encoding).length;
  }
  static concat(list, totalLength) {
    if (!Array.isArray(list)) throw invalidType('list', list);
    const total = totalLength === undefined ? list.reduce((sum, item) => sum + item.length, 0) : totalLength;
    const out = Buffer.alloc(total);
    let at = 0;
    for (const item of list) {
      if (at >= total) break;
      const part = item.subarray(0, total - at);
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
  static compare(a, b) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }

  toString(encoding, start, end) {
    const from = Math.max(0, start === undefined ? 0 : start | 0);
    const to = Math.min(this.length, end === undefined ? this.length : end | 0);
    return to <= from ? '' : bytesText(this.subarray(from, to), encoding);
  }
  toLocaleString(encoding, start, end) { return this.toString(encoding, start, end); }
  toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
  equals(other) {
    if (!(other instanceof Uint8Array)) throw invalidType('otherBuffer', other);
    return Buffer.compare(this, other) === 0;
  }
  compare(target, targetStart = 0, targetEnd = target.length, sourceStart = 0, sourceEnd = this.length) {
    return Buffer.compare(this.subarray(sourceStart, sourceEnd), target.subarray(targetStart, targetEnd));
  }
  // A view of the same memory, as in Node (not a copy, as Uint8Array's slice makes).
  slice(start, end) { return this.subarray(start, end); }
  write(text, offset, length, encoding) {
    if (typeof offset === 'string') { encoding = offset; offset = 0; length = undefined; }
    else if (typeof length === 'string') { encoding = length; length = undefined; }
    const at = offset === undefined ? 0 : offset;
    const bytes = stringBytes(text, encoding);
    const count = Math.min(bytes.length, this.length - at, length === undefined ? Infinity : length);
    this.set(bytes.subarray(0, count), at);
    return count;
  }
  fill(value, offset, end, encoding) {
    if (typeof offset === 'string') { encoding = offset; offset = 0; end = this.length; }
    const from = offset === undefined ? 0 : offset;
    const to = end === undefined ? this.length : end;
    if (typeof value === 'number') return Uint8Array.prototype.fill.call(this, value & 0xff, from, to);
    const pattern = typeof value === 'string' ? stringBytes(value, encoding) : value instanceof Uint8Array ? value : Buffer.from([Number(value) & 0xff]);
    if (pattern.length === 0) return Uint8Array.prototype.fill.call(this, 0, from, to);
    for (let i = from; i < to; i++) this[i] = pattern[(i - from) % pattern.length];
    return this;
  }
  copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
    const part = this.subarray(sourceStart, Math.min(sourceEnd, sourceStart + target.length - targetStart));
    target.set(part, targetStart);
    return part.length;
  }
  indexOf(value, byteOffset = 0, encoding) {
    if (typeof byteOffset === 'string') { encoding = byteOffset; byteOffset = 0; }
    if (typeof value === 'number') return Uint8Array.prototype.indexOf.call(this, value & 0xff, byteOffset);
    const needle = typeof value === 'string' ? stringBytes(value, encoding) : value;
    const start = byteOffset < 0 ? Math.max(0, this.length + byteOffset) : byteOffset;
    if (needle.length === 0) return Math.min(start, this.length);
    outer: for (let i = start; i <= this.length - needle.length; i++) {
      for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }
  lastIndexOf(value, byteOffset, encoding) {
    const needle = typeof value === 'number' ? [value & 0xff] : typeof value === 'string' ? stringBytes(value, encoding) : value;
    const last = byteOffset === undefined ? this.length - needle.length : Math.min(byteOffset, this.length - needle.length);
    outer: for (let i = last; i >= 0; i--) {
      for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  }
  includes(value, byteOffset, encoding) { return this.indexOf(value, byteOffset, encoding) !== -1; }
  swap16() { for (let i = 0; i + 1 < this.length; i += 2) [this[i], this[i + 1]] = [this[i + 1], this[i]]; return this; }
  swap32() { for (let i = 0; i + 3 < this.length; i += 4) this.subarray(i, i + 4).reverse(); return this; }
  swap64() { for (let i = 0; i + 7 < this.length; i += 8) this.subarray(i, i + 8).reverse(); return this; }
  readUIntBE(offset, size) { checkOffset(this, offset, size); let v = 0; for (let i = 0; i < size; i++) v = v * 256 + this[offset + i]; return v; }
  readUIntLE(offset, size) { checkOffset(this, offset, size); let v = 0; for (let i = size - 1; i >= 0; i--) v = v * 256 + this[offset + i]; return v; }
  readIntBE(offset, size) { const v = this.readUIntBE(offset, size); return v >= 2 ** (8 * size - 1) ? v - 2 ** (8 * size) : v; }
  readIntLE(offset, size) { const v = this.readUIntLE(offset, size); return v >= 2 ** (8 * size - 1) ? v - 2 ** (8 * size) : v; }
  writeUIntBE(value, offset, size) { checkOffset(this, offset, size); for (let i = size - 1; i >= 0; i--) { this[offset + i] = value & 0xff; value = Math.floor(value / 256); } return offset + size; }
  writeUIntLE(value, offset, size) { checkOffset(this, offset, size); for (let i = 0; i < size; i++) { this[offset + i] = value & 0xff; value = Math.floor(value / 256); } return offset + size; }
  writeIntBE(value, offset, size) { return this.writeUIntBE(value < 0 ? value + 2 ** (8 * size) : value, offset, size); }
  writeIntLE(value, offset, size) { return this.writeUIntLE(value < 0 ? value + 2 ** (8 * size) : value, offset, size); }
  [Symbol.for('nodejs.util.inspect.custom')]() {
    const shown = Array.from(this.subarray(0, 50), (b) => (b < 16 ? '0' : '') + b.toString(16)).join(' ');
    const more = this.length > 50 ? ` ... ${this.length - 50} more bytes` : '';
    return `<Buffer${shown ? ' ' : ''}${shown}${more}>`;
  }
}

// Number reads and writes through a DataView: [name, size, getter/setter, little endian].
const NUMBERS = [
  ['UInt8', 1, 'Uint8', false], ['Int8', 1, 'Int8', false],
  ['UInt16LE', 2, 'Uint16', true], ['UInt16BE', 2, 'Uint16', false],
  ['Int16LE', 2, 'Int16', true], ['Int16BE', 2, 'Int16', false],
  ['UInt32LE', 4, 'Uint32', true], ['UInt32BE', 4, 'Uint32', false],
  ['Int32LE', 4, 'Int32', true], ['Int32BE', 4, 'Int32', false],
  ['FloatLE', 4, 'Float32', true], ['FloatBE', 4, 'Float32', false],
  ['DoubleLE', 8, 'Float64', true], ['DoubleBE', 8, 'Float64', false],
  ['BigUInt64LE', 8, 'BigUint64', true], ['BigUInt64BE', 8, 'BigUint64', false],
  ['BigInt64LE', 8, 'BigInt64', true], ['BigInt64BE', 8, 'BigInt64', false],
];
for (const [name, size, kind, little] of NUMBERS) {
  const read = function (offset) { return view(this)[`get${kind}`](checkOffset(this, offset, size), little); };
  const write = function (value, offset) { view(this)[`set${kind}`](checkOffset(this, offset, size), value, little); return (offset || 0) + size; };
  for (const spelled of new Set([name, name.replace('UInt', 'Uint')])) {
    Buffer.prototype[`read${spelled}`] = read;
    Buffer.prototype[`write${spelled}`] = write;
  }
}
for (const name of ['readUIntBE', 'readUIntLE', 'writeUIntBE', 'writeUIntLE']) Buffer.prototype[name.replace('UInt', 'Uint')] = Buffer.prototype[name];
Buffer.poolSize = 8192;

const kMaxLength = 2 ** 31 - 1;
module.exports = {
  Buffer,
  SlowBuffer: Buffer,
  kMaxLength,
  kStringMaxLength: 2 ** 29 - 24,
  constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 },
  atob: globalThis.atob,
  btoa: globalThis.btoa,
  isUtf8: (bytes) => { try { new TextDecoder('utf-8', { fatal: true }).decode(bytes); return true; } catch (_) { return false; } },
  isAscii: (bytes) => Array.prototype.every.call(bytes, (b) => b < 128),
  INSPECT_MAX_BYTES: 50,
};
