// The BSON value classes of the `mongodb` package (js-bson), as migrations use them. Instances
// carry `_bsontype` like js-bson's, which is how the host recognises them when storing a value.
(function (M) {
  'use strict';
  const native = M.native;

  class BSONError extends Error {
    get name() { return 'BSONError'; }
  }

  const HEX24 = /^[0-9a-fA-F]{24}$/;
  const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const fromHex = (hex) => {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
    return bytes;
  };
  const inspect = Symbol.for('nodejs.util.inspect.custom');

  class ObjectId {
    constructor(id) {
      if (id === undefined || id === null) {
        this.__id = native.newObjectId();
      } else if (typeof id === 'string' && HEX24.test(id)) {
        this.__id = id.toLowerCase();
      } else if (id instanceof ObjectId) {
        this.__id = id.__id;
      } else if (typeof id === 'number') {
        this.__id = ObjectId.createFromTime(id).__id;
      } else if (id instanceof Uint8Array && id.length === 12) {
        this.__id = toHex(id);
      } else if (typeof id === 'object' && typeof id.toHexString === 'function') {
        this.__id = String(id.toHexString()).toLowerCase();
      } else {
        throw new BSONError('input must be a 24 character hex string, 12 byte Uint8Array, or an integer');
      }
    }
    get _bsontype() { return 'ObjectId'; }
    get id() { return fromHex(this.__id); }
    toHexString() { return this.__id; }
    toString() { return this.__id; }
    toJSON() { return this.__id; }
    equals(other) {
      if (other === null || other === undefined) return false;
      if (other instanceof ObjectId) return other.__id === this.__id;
      if (typeof other === 'string') return other.toLowerCase() === this.__id;
      if (typeof other.toHexString === 'function') return String(other.toHexString()).toLowerCase() === this.__id;
      return false;
    }
    getTimestamp() { return new Date(parseInt(this.__id.slice(0, 8), 16) * 1000); }
    [inspect]() { return `new ObjectId('${this.__id}')`; }
    static isValid(id) {
      if (id === null || id === undefined) return false;
      try { new ObjectId(id); return true; } catch (_) { return false; }
    }
    static createFromHexString(hex) {
      if (typeof hex !== 'string' || !HEX24.test(hex)) throw new BSONError('input must be a 24 character hex string');
      return new ObjectId(hex);
    }
    static createFromTime(seconds) {
      return new ObjectId((seconds >>> 0).toString(16).padStart(8, '0') + '0000000000000000');
    }
    static generate() { return fromHex(native.newObjectId()); }
  }

  const TWO32 = 4294967296n;
  class Long {
    constructor(low = 0, high = 0, unsigned = false) {
      if (typeof low === 'bigint') return Long.fromBigInt(low, high === true);
      if (typeof low === 'string') return Long.fromString(low, high === true);
      this.low = low | 0;
      this.high = high | 0;
      this.unsigned = !!unsigned;
    }
    get _bsontype() { return 'Long'; }
    toBigInt() {
      const value = (BigInt(this.high) << 32n) + BigInt(this.low >>> 0);
      return this.unsigned ? BigInt.asUintN(64, value) : BigInt.asIntN(64, value);
    }
    toNumber() { return Number(this.toBigInt()); }
    valueOf() { return this.toNumber(); }
    toInt() { return this.low; }
    toString(radix = 10) { return this.toBigInt().toString(radix); }
    toJSON() { return this.toNumber(); }
    [inspect]() { return `new Long('${this.toString()}')`; }
    equals(other) { return this.toBigInt() === Long.fromValue(other).toBigInt(); }
    compare(other) { const a = this.toBigInt(), b = Long.fromValue(other).toBigInt(); return a < b ? -1 : a > b ? 1 : 0; }
    greaterThan(other) { return this.compare(other) > 0; }
    greaterThanOrEqual(other) { return this.compare(other) >= 0; }
    lessThan(other) { return this.compare(other) < 0; }
    lessThanOrEqual(other) { return this.compare(other) <= 0; }
    isZero() { return this.low === 0 && this.high === 0; }
    isNegative() { return !this.unsigned && this.high < 0; }
    negate() { return Long.fromBigInt(-this.toBigInt(), this.unsigned); }
    add(other) { return Long.fromBigInt(this.toBigInt() + Long.fromValue(other).toBigInt(), this.unsigned); }
    subtract(other) { return Long.fromBigInt(this.toBigInt() - Long.fromValue(other).toBigInt(), this.unsigned); }
    multiply(other) { return Long.fromBigInt(this.toBigInt() * Long.fromValue(other).toBigInt(), this.unsigned); }
    divide(other) { return Long.fromBigInt(this.toBigInt() / Long.fromValue(other).toBigInt(), this.unsigned); }
    modulo(other) { return Long.fromBigInt(this.toBigInt() % Long.fromValue(other).toBigInt(), this.unsigned); }
    static fromBigInt(value, unsigned = false) {
      const bits = BigInt.asUintN(64, BigInt(value));
      return new Long(Number(bits % TWO32) | 0, Number(bits / TWO32) | 0, unsigned);
    }
    static fromNumber(value, unsigned = false) {
      if (!Number.isFinite(value)) return new Long(0, 0, unsigned);
      return Long.fromBigInt(BigInt(Math.trunc(value)), unsigned);
    }
    static fromInt(value, unsigned = false) { return Long.fromNumber(value | 0, unsigned); }
    static fromBits(low, high, unsigned = false) { return new Long(low, high, unsigned); }
    static fromString(text, unsigned = false, radix = 10) {
      if (typeof unsigned === 'number') { radix = unsigned; unsigned = false; }
      const digits = String(text).trim();
      const negative = digits.startsWith('-');
      const body = negative ? digits.slice(1) : digits;
      let value = 0n;
      for (const ch of body.toLowerCase()) {
        const digit = parseInt(ch, radix);
        if (Number.isNaN(digit)) throw new BSONError(`invalid digit in Long string: ${text}`);
        value = value * BigInt(radix) + BigInt(digit);
      }
      return Long.fromBigInt(negative ? -value : value, unsigned);
    }
    static fromValue(value) {
      if (value instanceof Long) return value;
      if (typeof value === 'bigint') return Long.fromBigInt(value);
      if (typeof value === 'string') return Long.fromString(value);
      if (value && typeof value === 'object' && 'low' in value && 'high' in value) return new Long(value.low, value.high, value.unsigned);
      return Long.fromNumber(Number(value));
    }
    static isLong(value) { return value instanceof Long; }
  }
  Long.ZERO = new Long(0, 0);
  Long.ONE = new Long(1, 0);
  Long.NEG_ONE = new Long(-1, -1);
  Long.MAX_VALUE = new Long(-1, 0x7fffffff);
  Long.MIN_VALUE = new Long(0, -0x80000000);

  class Int32 {
    constructor(value) { this.value = Number(value) | 0; }
    get _bsontype() { return 'Int32'; }
    valueOf() { return this.value; }
    toString(radix) { return this.value.toString(radix); }
    toJSON() { return this.value; }
    [inspect]() { return `new Int32(${this.value})`; }
  }

  class Double {
    constructor(value) { this.value = Number(value); }
    get _bsontype() { return 'Double'; }
    valueOf() { return this.value; }
    toString(radix) { return this.value.toString(radix); }
    toJSON() { return this.value; }
    [inspect]() { return `new Double(${this.value})`; }
  }

  class Decimal128 {
    constructor(value) {
      if (typeof value === 'string') this.bytes = native.decimalFromString(value);
      else if (value instanceof Uint8Array && value.length === 16) this.bytes = new Uint8Array(value);
      else throw new BSONError('Decimal128 must take a string or a 16 byte Uint8Array');
    }
    get _bsontype() { return 'Decimal128'; }
    toString() { return native.decimalToString(this.bytes); }
    toJSON() { return { $numberDecimal: this.toString() }; }
    [inspect]() { return `new Decimal128('${this.toString()}')`; }
    static fromString(text) { return new Decimal128(text); }
  }

  const toBytes = (value) => {
    if (value instanceof Uint8Array) return new Uint8Array(value);
    if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
    if (Array.isArray(value)) return Uint8Array.from(value);
    if (typeof value === 'string') return Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
    if (value === undefined || value === null) return new Uint8Array(0);
    throw new BSONError('Binary can only be constructed from a Uint8Array, an array of numbers or a string');
  };

  class Binary {
    constructor(buffer, subType = 0) {
      this.buffer = toBytes(buffer);
      this.sub_type = subType;
      this.position = this.buffer.length;
    }
    get _bsontype() { return 'Binary'; }
    length() { return this.position; }
    value() { return this.buffer; }
    read(position, length) { return this.buffer.slice(position, position + length); }
    toString(encoding) {
      if (encoding === 'hex') return toHex(this.buffer);
      if (encoding === 'base64') return native.base64Encode(this.buffer);
      return String.fromCharCode(...this.buffer);
    }
    toJSON() { return native.base64Encode(this.buffer); }
    toUUID() {
      if (this.sub_type !== Binary.SUBTYPE_UUID) throw new BSONError('Binary sub_type is not 4 (UUID)');
      return new UUID(this.buffer);
    }
    [inspect]() { return `Binary.createFromBase64('${native.base64Encode(this.buffer)}', ${this.sub_type})`; }
    static createFromHexString(hex, subType) { return new Binary(fromHex(hex), subType); }
    static createFromBase64(text, subType) { return new Binary(native.base64Decode(text), subType); }
  }
  Object.assign(Binary, {
    SUBTYPE_DEFAULT: 0, SUBTYPE_FUNCTION: 1, SUBTYPE_BYTE_ARRAY: 2, SUBTYPE_UUID_OLD: 3,
    SUBTYPE_UUID: 4, SUBTYPE_MD5: 5, SUBTYPE_ENCRYPTED: 6, SUBTYPE_COLUMN: 7, SUBTYPE_USER_DEFINED: 128,
  });

  const UUID_TEXT = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
  class UUID extends Binary {
    constructor(input) {
      let bytes;
      if (input === undefined || input === null) bytes = fromHex(native.randomUuid());
      else if (typeof input === 'string' && UUID_TEXT.test(input)) bytes = fromHex(input.replace(/-/g, ''));
      else if (input instanceof Uint8Array && input.length === 16) bytes = input;
      else if (input instanceof Binary && input.buffer.length === 16) bytes = input.buffer;
      else throw new BSONError('UUID must be a 16 byte Uint8Array or a 32 hex character string');
      super(bytes, Binary.SUBTYPE_UUID);
    }
    toHexString(dashes = true) {
      const hex = toHex(this.buffer);
      if (!dashes) return hex;
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    toString(encoding) { return encoding ? super.toString(encoding) : this.toHexString(); }
    toJSON() { return this.toHexString(); }
    toBinary() { return new Binary(this.buffer, Binary.SUBTYPE_UUID); }
    equals(other) {
      if (!other) return false;
      const theirs = other instanceof Binary ? toHex(other.buffer) : String(other).replace(/-/g, '').toLowerCase();
      return theirs === toHex(this.buffer);
    }
    [inspect]() { return `new UUID('${this.toHexString()}')`; }
    static isValid(input) { try { new UUID(input); return true; } catch (_) { return false; } }
    static generate() { return fromHex(native.randomUuid()); }
    static createFromHexString(hex) { return new UUID(hex); }
  }

  class Timestamp {
    constructor(low, high) {
      if (low && typeof low === 'object' && 't' in low && 'i' in low) {
        this.high = low.t >>> 0;
        this.low = low.i >>> 0;
      } else if (low instanceof Long) {
        this.high = low.high >>> 0;
        this.low = low.low >>> 0;
      } else if (typeof low === 'bigint') {
        this.high = Number(BigInt.asUintN(64, low) >> 32n);
        this.low = Number(BigInt.asUintN(32, low));
      } else {
        this.low = (low || 0) >>> 0;
        this.high = (high || 0) >>> 0;
      }
      this.unsigned = true;
    }
    get _bsontype() { return 'Timestamp'; }
    get t() { return this.high >>> 0; }
    get i() { return this.low >>> 0; }
    toJSON() { return { $timestamp: { t: this.t, i: this.i } }; }
    toString() { return ((BigInt(this.t) << 32n) + BigInt(this.i)).toString(); }
    equals(other) { return other instanceof Timestamp && other.t === this.t && other.i === this.i; }
    [inspect]() { return `new Timestamp({ t: ${this.t}, i: ${this.i} })`; }
    static fromBits(low, high) { return new Timestamp(low, high); }
    static fromInt(value) { return new Timestamp(value, 0); }
    static fromNumber(value) { return new Timestamp(Number(value) % 4294967296, Math.floor(Number(value) / 4294967296)); }
  }
  Timestamp.MAX_VALUE = new Timestamp(0xffffffff, 0xffffffff);

  class BSONRegExp {
    constructor(pattern, options = '') {
      this.pattern = String(pattern);
      this.options = String(options).split('').sort().join('');
    }
    get _bsontype() { return 'BSONRegExp'; }
    toJSON() { return { $regularExpression: { pattern: this.pattern, options: this.options } }; }
    [inspect]() { return `new BSONRegExp('${this.pattern}', '${this.options}')`; }
  }

  class MinKey {
    get _bsontype() { return 'MinKey'; }
    toJSON() { return { $minKey: 1 }; }
  }
  class MaxKey {
    get _bsontype() { return 'MaxKey'; }
    toJSON() { return { $maxKey: 1 }; }
  }
  class Code {
    constructor(code, scope = null) {
      this.code = typeof code === 'function' ? code.toString() : String(code);
      this.scope = scope;
    }
    get _bsontype() { return 'Code'; }
    toJSON() { return this.scope ? { code: this.code, scope: this.scope } : { code: this.code }; }
  }
  class BSONSymbol {
    constructor(value) { this.value = String(value); }
    get _bsontype() { return 'BSONSymbol'; }
    valueOf() { return this.value; }
    toString() { return this.value; }
  }

  M.bson = {
    BSONError, ObjectId, ObjectID: ObjectId, Long, Int32, Double, Decimal128, Binary, UUID, Timestamp,
    BSONRegExp, MinKey, MaxKey, Code, BSONSymbol,
  };
  M.prototypes = {
    ObjectId: ObjectId.prototype, Long: Long.prototype, Int32: Int32.prototype, Double: Double.prototype,
    Decimal128: Decimal128.prototype, Binary: Binary.prototype, Timestamp: Timestamp.prototype,
    BSONRegExp: BSONRegExp.prototype, MinKey: MinKey.prototype, MaxKey: MaxKey.prototype, Code: Code.prototype,
  };
})(globalThis.__mongrate);
