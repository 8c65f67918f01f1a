// Node's `module`: `createRequire` (how an ES module or configuration gets `require`), the list of
// built-ins.
'use strict';

function createRequire(from) {
  let file = from;
  if (from !== null && typeof from === 'object' && typeof from.href === 'string') file = from.href;
  if (typeof file !== 'string') {
    const error = new TypeError(`The argument 'filename' must be a file URL object, file URL string, or absolute path string. Received ${from}`);
    error.code = 'ERR_INVALID_ARG_VALUE';
    throw error;
  }
  if (file.startsWith('file:')) file = require('url').fileURLToPath(file);
  // A folder (ending in /) stands for a file in it.
  if (file.endsWith('/')) file += 'noop.js';
  return M.requireFrom(file);
}

const builtinModules = [...native.builtinModules];
const isBuiltin = (name) => builtinModules.includes(String(name).replace(/^node:/, ''));

function Module(id) {
  this.id = id;
  this.exports = {};
}
Object.assign(Module, { createRequire, builtinModules, isBuiltin, Module });
module.exports = Module;
