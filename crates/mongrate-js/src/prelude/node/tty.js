// Node's `tty`: mongrate's migrations never write to a terminal, so nothing is one.
'use strict';

class Terminal {
  constructor() {
    const error = new Error('tty streams are not available in mongrate (migrations have no terminal)');
    error.code = 'ERR_MONGRATE_UNAVAILABLE';
    throw error;
  }
}
module.exports = { isatty: () => false, ReadStream: Terminal, WriteStream: Terminal };
