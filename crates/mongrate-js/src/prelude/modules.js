// `require` as Node has it: Node's built-ins (compiled at first use), mongrate's own modules
// (`mongodb`, `mongrate`, a `dotenv` stand-in when the project has none), the project's files and
// packages (resolved natively as Node resolves them), ES modules required synchronously; the
// modules `import` gets for what is not an ES module; the globals Node defines (`Buffer`, `URL`,
// `TextEncoder`, …), made when first used.
(function (M) {
  'use strict';
  const native = M.native;
  const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

  // ---- Node's built-ins ----
  const ALIASES = {
    'assert/strict': ['assert', 'strict'],
    'fs/promises': ['fs', 'promises'],
    'path/posix': ['path'],
    'util/types': ['util', 'types'],
    'timers/promises': ['timers', 'promises'],
    sys: ['util'],
  };
  const builtins = new Map();
  M.builtin = (name) => {
    if (builtins.has(name)) return builtins.get(name);
    let exports;
    if (name === 'process') exports = globalThis.process;
    else if (name === 'console') exports = globalThis.console;
    else if (ALIASES[name]) {
      const [base, key] = ALIASES[name];
      exports = key ? M.builtin(base)[key] : M.builtin(base);
    } else {
      const module = { exports: {} };
      // Built-ins that require each other see the exports made so far, as in Node.
      builtins.set(name, module.exports);
      try {
        native.compileBuiltin(name)(module, module.exports, M.builtin, M, native);
      } catch (error) {
        builtins.delete(name);
        throw error;
      }
      exports = module.exports;
    }
    builtins.set(name, exports);
    return exports;
  };

  // ---- mongrate's own modules ----
  M.mongodbModule = Object.freeze({ ...M.bson, ...M.driver, default: undefined });

  // `require('dotenv').config()` when the project has no dotenv installed: read `.env` into
  // process.env (variables already set win), as dotenv does.
  function dotenvConfig(options) {
    const file = (options && options.path) || `${native.cwd}/.env`;
    const parsed = {};
    let text;
    try { text = native.readModule(String(file)); } catch (error) { return { error }; }
    for (const line of text.split(/\r?\n/)) {
      const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (!match) continue;
      let value = match[2];
      const quoted = /^(['"`])(.*)\1$/.exec(value);
      if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, '\n') : quoted[2];
      else value = value.replace(/\s+#.*$/, '');
      parsed[match[1]] = value;
      if (process.env[match[1]] === undefined || (options && options.override)) process.env[match[1]] = value;
    }
    return { parsed };
  }
  const dotenv = { config: dotenvConfig };
  let dotenvConfigured = null;

  M.own = (name) => {
    switch (name) {
      case 'mongodb': return M.mongodbModule;
      case 'mongrate': return M.mongrateModule;
      case 'dotenv': return dotenv;
      case 'dotenv/config':
        if (dotenvConfigured === null) dotenvConfigured = dotenvConfig();
        return {};
      default: throw new Error(`mongrate has no module '${name}'`);
    }
  };

  // ---- files and packages ----
  // The loaded CommonJS modules by path (`require.cache`).
  const cache = Object.create(null);

  M.requireFrom = (file) => {
    const require = (specifier) => M.require(specifier, file);
    require.resolve = (specifier) => {
      const name = native.resolve(String(specifier), file, 'require');
      return name.startsWith('node:') && !String(specifier).startsWith('node:') ? name.slice(5) : name;
    };
    require.resolve.paths = () => null;
    require.cache = cache;
    require.main = undefined;
    require.extensions = Object.create(null);
    return require;
  };

  M.require = (specifier, from) => {
    if (typeof specifier !== 'string' || specifier === '') {
      const error = new TypeError(`The "id" argument must be a non-empty string. Received ${specifier === '' ? "''" : typeof specifier}`);
      error.code = 'ERR_INVALID_ARG_VALUE';
      throw error;
    }
    return M.load(native.resolve(specifier, from, 'require'));
  };

  // What a resolved module name (`node:fs`, `mongrate:mongodb`, a path) exports.
  M.load = (name) => {
    if (name.startsWith('node:')) return M.builtin(name.slice(5));
    if (name.startsWith('mongrate:')) return M.own(name.slice(9));
    return M.loadCommonJs(name);
  };

  // A file by path: JSON, a CommonJS module (run once), or an ES module (its namespace).
  M.loadCommonJs = (file) => {
    const cached = cache[file];
    if (cached) return cached.exports;
    const filename = native.absolute(file);
    const dir = native.dirname(filename);
    const module = { id: filename, filename, path: dir, exports: {}, loaded: false, children: [], paths: [], parent: undefined };
    cache[file] = module;
    try {
      if (file.endsWith('.json')) {
        try {
          module.exports = JSON.parse(native.readModule(file));
        } catch (error) {
          if (error instanceof SyntaxError) error.message = `${file}: ${error.message}`;
          throw error;
        }
      } else {
        const wrapper = native.compileCommonJs(file);
        if (wrapper === undefined || wrapper === null) {
          module.exports = native.importModule(file);
        } else {
          const require = M.requireFrom(file);
          module.require = require;
          wrapper.call(module.exports, module.exports, require, module, filename, dir);
        }
      }
    } catch (error) {
      delete cache[file];
      throw error;
    }
    module.loaded = true;
    return module.exports;
  };

  // ---- what `import` gets for a built-in, mongrate's own module or a CommonJS/JSON file ----
  const facades = new Map();
  M.esmValue = (name) => facades.get(name);
  M.esmFacade = (name) => {
    const value = M.load(name);
    facades.set(name, value);
    let source = `const m = globalThis.__mongrate.esmValue(${JSON.stringify(name)});\nexport default m;\n`;
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      let index = 0;
      for (const key of Object.keys(value)) {
        if (key === 'default' || !IDENTIFIER.test(key)) continue;
        source += `const e${index} = m[${JSON.stringify(key)}];\nexport { e${index} as ${key} };\n`;
        index++;
      }
    }
    return source;
  };

  // ---- Node's globals, made at first use ----
  function lazyGlobal(name, make) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() {
        const value = make();
        Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
        return value;
      },
      set(value) {
        Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }
  lazyGlobal('Buffer', () => M.builtin('buffer').Buffer);
  lazyGlobal('URL', () => M.builtin('url').URL);
  lazyGlobal('URLSearchParams', () => M.builtin('url').URLSearchParams);
  lazyGlobal('TextEncoder', () => M.builtin('util').TextEncoder);
  lazyGlobal('TextDecoder', () => M.builtin('util').TextDecoder);
  lazyGlobal('crypto', () => M.builtin('crypto').webcrypto);
  lazyGlobal('EventTarget', () => M.builtin('events').EventTarget);
  lazyGlobal('Event', () => M.builtin('events').Event);
  lazyGlobal('AbortController', () => M.builtin('events').AbortController);
  lazyGlobal('AbortSignal', () => M.builtin('events').AbortSignal);
  if (typeof globalThis.structuredClone !== 'function') {
    lazyGlobal('structuredClone', () => M.builtin('util').structuredClone);
  }
})(globalThis.__mongrate);
