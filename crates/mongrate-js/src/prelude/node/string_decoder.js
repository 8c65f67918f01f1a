// Node's `string_decoder`: bytes to text across chunks, keeping a character split between two.
'use strict';

const { Buffer } = require('buffer');

// How many bytes at the end of `bytes` start a UTF-8 sequence that is not complete yet.
function incompleteTail(bytes) {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? back : 0;
  }
  return 0;
}

class StringDecoder {
  constructor(encoding = 'utf8') {
    this.encoding = String(encoding).toLowerCase().replace('-', '');
    this._pending = Buffer.alloc(0);
  }
  write(chunk) {
    const bytes = Buffer.concat([this._pending, typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)]);
    let keep = 0;
    if (this.encoding === 'utf8') keep = incompleteTail(bytes);
    else if (this.encoding === 'utf16le' || this.encoding === 'ucs2') keep = bytes.length % 2;
    else if (this.encoding === 'base64') keep = bytes.length % 3;
    this._pending = Buffer.from(bytes.subarray(bytes.length - keep));
    return bytes.subarray(0, bytes.length - keep).toString(this.encoding);
  }
  end(chunk) {
    const text = chunk === undefined ? '' : this.write(chunk);
    const rest = this._pending.length ? this._pending.toString(this.encoding) : '';
    this._pending = Buffer.alloc(0);
    return text + rest;
  }
}
module.exports = { StringDecoder };
