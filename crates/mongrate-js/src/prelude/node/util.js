// Node's `util`: promisify and callbackify, format and inspect (console's), isDeepStrictEqual,
// inherits, deprecate, types, TextEncoder and TextDecoder.
'use strict';

const kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');

function promisify(original) {
  if (typeof original !== 'function') {
    const error = new TypeError(`The "original" argument must be of type function. Received ${typeof original}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
  if (typeof original[kCustomPromisify] === 'function') return original[kCustomPromisify];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (error, ...values) => {
        if (error) reject(error);
        else resolve(values.length > 1 ? values : values[0]);
      });
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  Object.defineProperty(promisified, kCustomPromisify, { value: promisified });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisify;

function callbackify(original) {
  return function callbackified(...args) {
    const callback = args.pop();
    original.apply(this, args).then(
      (value) => queueMicrotask(() => callback(null, value)),
      (reason) => queueMicrotask(() => {
        if (!reason) {
          const error = new Error('Promise was rejected with a falsy value');
          error.code = 'ERR_FALSY_VALUE_REJECTION';
          error.reason = reason;
          callback(error);
        } else {
          callback(reason);
        }
      }),
    );
  };
}

function inherits(constructor, superConstructor) {
  Object.defineProperty(constructor, 'super_', { value: superConstructor, writable: true, configurable: true });
  Object.setPrototypeOf(constructor.prototype, superConstructor.prototype);
}

const warned = new Set();
function deprecate(fn, message, code) {
  return function deprecated(...args) {
    if (!warned.has(code || message)) {
      warned.add(code || message);
      process.emitWarning(message, 'DeprecationWarning');
    }
    return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
  };
}

const tag = (value) => Object.prototype.toString.call(value).slice(8, -1);
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array);

// Node's deep equality: `strict` compares with Object.is and checks prototypes.
function deepEqual(a, b, strict, seen = new Map()) {
  if (strict ? Object.is(a, b) : (a == b || (a !== a && b !== b))) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return !strict && a !== null && b !== null && typeof a !== 'object' && typeof b !== 'object' ? a == b : false;
  }
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return String(a) === String(b) && a.lastIndex === b.lastIndex;
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  if (a instanceof TYPED_ARRAY || a instanceof DataView) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [key, value] of a) if (!b.has(key) || !deepEqual(value, b.get(key), strict, seen)) return false;
  } else if (a instanceof Set) {
    if (a.size !== b.size) return false;
    outer: for (const value of a) {
      if (b.has(value)) continue;
      if (typeof value === 'object' && value !== null) {
        for (const other of b) if (deepEqual(value, other, strict, seen)) continue outer;
      }
      return false;
    }
  }
  if (Array.isArray(a) && a.length !== b.length) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!deepEqual(a[key], b[key], strict, seen)) return false;
  }
  if (strict) {
    const symbolsA = Object.getOwnPropertySymbols(a).filter((s) => Object.prototype.propertyIsEnumerable.call(a, s));
    const symbolsB = Object.getOwnPropertySymbols(b).filter((s) => Object.prototype.propertyIsEnumerable.call(b, s));
    if (symbolsA.length !== symbolsB.length) return false;
    for (const symbol of symbolsA) if (!deepEqual(a[symbol], b[symbol], strict, seen)) return false;
  }
  return true;
}

const types = {
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  isPromise: (v) => v instanceof Promise,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isWeakMap: (v) => v instanceof WeakMap,
  isWeakSet: (v) => v instanceof WeakSet,
  isNativeError: (v) => v instanceof Error,
  isTypedArray: (v) => v instanceof TYPED_ARRAY,
  isUint8Array: (v) => v instanceof Uint8Array,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: (v) => v instanceof DataView,
  isAsyncFunction: (v) => typeof v === 'function' && tag(v) === 'AsyncFunction',
  isGeneratorFunction: (v) => typeof v === 'function' && /GeneratorFunction$/.test(tag(v)),
  isGeneratorObject: (v) => tag(v) === 'Generator',
  isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean,
  isNumberObject: (v) => v instanceof Number,
  isStringObject: (v) => v instanceof String,
  isBooleanObject: (v) => v instanceof Boolean,
  isSymbolObject: (v) => typeof v === 'object' && v !== null && tag(v) === 'Symbol',
  isProxy: () => false,
};

class TextEncoder {
  get encoding() { return 'utf-8'; }
  encode(text = '') { return native.utf8Encode(String(text)); }
  encodeInto(text, target) {
    const bytes = native.utf8Encode(String(text));
    const written = Math.min(bytes.length, target.length);
    target.set(bytes.subarray(0, written));
    return { read: String(text).length, written };
  }
}

class TextDecoder {
  constructor(encoding = 'utf-8', options) {
    const name = String(encoding).toLowerCase();
    if (!['utf-8', 'utf8', 'unicode-1-1-utf-8', 'utf-16le', 'utf16le', 'latin1', 'iso-8859-1', 'ascii'].includes(name)) {
      const error = new RangeError(`The "${encoding}" encoding is not supported`);
      error.code = 'ERR_ENCODING_NOT_SUPPORTED';
      throw error;
    }
    this._encoding = name.startsWith('utf-16') || name === 'utf16le' ? 'utf-16le' : name === 'latin1' || name === 'iso-8859-1' || name === 'ascii' ? 'latin1' : 'utf-8';
    this.fatal = !!(options && options.fatal);
    this.ignoreBOM = !!(options && options.ignoreBOM);
  }
  get encoding() { return this._encoding === 'latin1' ? 'windows-1252' : this._encoding; }
  decode(input) {
    if (input === undefined) return '';
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (this._encoding !== 'utf-8') return require('buffer').Buffer.from(bytes).toString(this._encoding === 'utf-16le' ? 'utf16le' : 'latin1');
    const text = native.utf8Decode(bytes, this.fatal);
    return !this.ignoreBOM && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

// Copies plain data as structuredClone does (objects, arrays, dates, maps, sets, typed arrays).
function structuredClone(value, seen = new Map()) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol') {
      const error = new Error(`${String(value)} could not be cloned.`);
      error.name = 'DataCloneError';
      throw error;
    }
    return value;
  }
  if (seen.has(value)) return seen.get(value);
  let copy;
  if (value instanceof Date) copy = new Date(value.getTime());
  else if (value instanceof RegExp) copy = new RegExp(value.source, value.flags);
  else if (value instanceof TYPED_ARRAY) copy = new value.constructor(value);
  else if (value instanceof ArrayBuffer) copy = value.slice(0);
  else if (value instanceof Map) { copy = new Map(); seen.set(value, copy); for (const [k, v] of value) copy.set(structuredClone(k, seen), structuredClone(v, seen)); return copy; }
  else if (value instanceof Set) { copy = new Set(); seen.set(value, copy); for (const v of value) copy.add(structuredClone(v, seen)); return copy; }
  else if (value instanceof Error) { copy = new Error(value.message); copy.name = value.name; copy.stack = value.stack; }
  else {
    copy = Array.isArray(value) ? [] : {};
    seen.set(value, copy);
    for (const key of Object.keys(value)) copy[key] = structuredClone(value[key], seen);
    return copy;
  }
  seen.set(value, copy);
  return copy;
}

const isDeepStrictEqual = (a, b) => deepEqual(a, b, true);

module.exports = {
  promisify,
  callbackify,
  inherits,
  deprecate,
  format: M.format,
  formatWithOptions: (_options, ...args) => M.format(...args),
  inspect: M.inspect,
  isDeepStrictEqual,
  types,
  TextEncoder,
  TextDecoder,
  structuredClone,
  debuglog: () => Object.assign(() => {}, { enabled: false }),
  debug: () => Object.assign(() => {}, { enabled: false }),
  stripVTControlCharacters: (text) => String(text).replace(/\u001b\[[0-9;]*[A-Za-z]/g, ''),
  toUSVString: (text) => String(text).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === 'boolean',
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v === null || v === undefined,
  isNumber: (v) => typeof v === 'number',
  isString: (v) => typeof v === 'string',
  isSymbol: (v) => typeof v === 'symbol',
  isUndefined: (v) => v === undefined,
  isRegExp: types.isRegExp,
  isObject: (v) => v !== null && typeof v === 'object',
  isDate: types.isDate,
  isError: types.isNativeError,
  isFunction: (v) => typeof v === 'function',
  isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
  // For `assert`: the loose form too.
  _deepEqual: deepEqual,
};
