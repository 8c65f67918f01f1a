// Node's `crypto` as migrations use it: hashes and HMACs (md5, sha1, sha224, sha256, sha384,
// sha512), random bytes, UUIDs and integers, timingSafeEqual, and the Web Crypto basics. Ciphers,
// keys and signatures are not provided: they fail naming what is missing.
'use strict';

const { Buffer } = require('buffer');

function bytesOf(data, encoding, name) {
  if (typeof data === 'string') return Buffer.from(data, encoding);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const error = new TypeError(`The "${name}" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${data === null ? 'null' : typeof data}`);
  error.code = 'ERR_INVALID_ARG_TYPE';
  throw error;
}

function output(bytes, encoding) {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return encoding === undefined || encoding === 'buffer' ? buffer : buffer.toString(encoding);
}

// Input is gathered and hashed at digest(): the natives hash one array.
class Hash {
  constructor(algorithm, key) {
    this._algorithm = algorithm;
    this._key = key;
    this._parts = [];
    this._done = false;
    // Unknown algorithms fail here, as in Node.
    if (key === undefined) native.hash(algorithm, new Uint8Array(0));
    else native.hmac(algorithm, key, new Uint8Array(0));
  }
  update(data, encoding) {
    if (this._done) {
      const error = new Error('Digest already called');
      error.code = 'ERR_CRYPTO_HASH_FINALIZED';
      throw error;
    }
    this._parts.push(Buffer.from(bytesOf(data, encoding, 'data')));
    return this;
  }
  digest(encoding) {
    if (this._done) {
      const error = new Error('Digest already called');
      error.code = 'ERR_CRYPTO_HASH_FINALIZED';
      throw error;
    }
    this._done = true;
    const input = Buffer.concat(this._parts);
    const bytes = this._key === undefined ? native.hash(this._algorithm, input) : native.hmac(this._algorithm, this._key, input);
    return output(bytes, encoding);
  }
  copy() {
    const copy = new Hash(this._algorithm, this._key);
    copy._parts = [...this._parts];
    return copy;
  }
}

const createHash = (algorithm) => new Hash(String(algorithm));
const createHmac = (algorithm, key, _options) => {
  const material = key && typeof key === 'object' && key._secret ? key._secret : bytesOf(key, 'utf8', 'key');
  return new Hash(String(algorithm), material);
};
// Node 21's one-shot `crypto.hash(algorithm, data, encoding = 'hex')`.
const hash = (algorithm, data, encoding = 'hex') => createHash(algorithm).update(data).digest(encoding);

function randomBytes(size, callback) {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    const error = new TypeError(`The "size" argument must be a non-negative integer. Received ${size}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  const bytes = native.randomBytes(size);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (typeof callback === 'function') {
    queueMicrotask(() => callback(null, buffer));
    return undefined;
  }
  return buffer;
}

function randomFillSync(target, offset = 0, size) {
  const bytes = new Uint8Array(target.buffer || target, target.byteOffset || 0, target.byteLength);
  const count = size === undefined ? bytes.length - offset : size;
  bytes.set(native.randomBytes(count), offset);
  return target;
}

function randomFill(target, offset, size, callback) {
  const done = [offset, size, callback].find((arg) => typeof arg === 'function');
  randomFillSync(target, typeof offset === 'number' ? offset : 0, typeof size === 'number' ? size : undefined);
  queueMicrotask(() => done(null, target));
}

function randomUUID() {
  const b = native.randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => (x < 16 ? '0' : '') + x.toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A uniform integer in [min, max) without modulo bias.
function randomInt(min, max, callback) {
  if (typeof max !== 'number') { callback = max; max = min; min = 0; }
  const range = max - min;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || range <= 0 || range > 2 ** 48) {
    const error = new RangeError(`The value of "max" is out of range. It must be greater than the value of "min" (${min}) and at most 2^48 above it. Received ${max}`);
    error.code = 'ERR_OUT_OF_RANGE';
    throw error;
  }
  const limit = 2 ** 48 - (2 ** 48 % range);
  let value;
  do {
    const b = native.randomBytes(6);
    value = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
  } while (value >= limit);
  const result = min + (value % range);
  if (typeof callback === 'function') { queueMicrotask(() => callback(null, result)); return undefined; }
  return result;
}

function timingSafeEqual(a, b) {
  if (a.byteLength !== b.byteLength) {
    const error = new RangeError('Input buffers must have the same byte length');
    error.code = 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH';
    throw error;
  }
  const x = bytesOf(a, undefined, 'buf1');
  const y = bytesOf(b, undefined, 'buf2');
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
}

function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
    throw new TypeError('The data argument must be an integer-type TypedArray');
  }
  if (array.byteLength > 65536) throw new RangeError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds 65536`);
  return randomFillSync(array);
}

const missing = (name) => () => {
  const error = new Error(`crypto.${name} is not available in mongrate (it provides hashes, HMACs and random values, not ciphers, keys or signatures)`);
  error.code = 'ERR_MONGRATE_UNAVAILABLE';
  throw error;
};

const createSecretKey = (key, encoding) => ({ type: 'secret', _secret: Buffer.from(bytesOf(key, encoding, 'key')), export: function () { return Buffer.from(this._secret); } });

module.exports = {
  createHash,
  createHmac,
  hash,
  getHashes: () => [...native.hashes],
  randomBytes,
  pseudoRandomBytes: randomBytes,
  randomFillSync,
  randomFill,
  randomUUID,
  randomInt,
  timingSafeEqual,
  getRandomValues,
  createSecretKey,
  webcrypto: { getRandomValues, randomUUID, subtle: undefined },
  constants: {},
};
for (const name of ['createCipheriv', 'createDecipheriv', 'createSign', 'createVerify', 'createPublicKey', 'createPrivateKey',
  'generateKeyPair', 'generateKeyPairSync', 'publicEncrypt', 'privateDecrypt', 'pbkdf2', 'pbkdf2Sync', 'scrypt', 'scryptSync',
  'createDiffieHellman', 'createECDH', 'sign', 'verify', 'hkdf', 'hkdfSync']) {
  module.exports[name] = missing(name);
}
