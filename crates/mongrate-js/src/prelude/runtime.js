// What a migration sees besides the driver: `console`, `process.env`, timers, `require`, the
// `mongodb` module, the seed-style `mongoose` global; and how mongrate reads a migration's exports.
(function (M) {
  'use strict';
  const native = M.native;
  const inspect = Symbol.for('nodejs.util.inspect.custom');

  // ---- console ----
  function show(value, depth, seen) {
    if (typeof value === 'string') return depth === 0 ? value : `'${value}'`;
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'function') return `[Function: ${value.name || 'anonymous'}]`;
      if (typeof value === 'bigint') return `${value}n`;
      return String(value);
    }
    if (typeof value[inspect] === 'function') return value[inspect]();
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}` : `${value.name}: ${value.message}`;
    if (seen.includes(value)) return '[Circular]';
    if (depth > 3) return Array.isArray(value) ? '[Array]' : '[Object]';
    const inner = [...seen, value];
    if (Array.isArray(value)) {
      return value.length === 0 ? '[]' : `[ ${value.map((item) => show(item, depth + 1, inner)).join(', ')} ]`;
    }
    const entries = Object.entries(value).map(([key, item]) => `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: ${show(item, depth + 1, inner)}`);
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }

  function format(args) {
    if (args.length === 0) return '';
    let rest = args;
    let head = '';
    if (typeof args[0] === 'string' && args[0].includes('%')) {
      let index = 1;
      head = args[0].replace(/%[sdifjoOc%]/g, (spec) => {
        if (spec === '%%') return '%';
        if (index >= args.length) return spec;
        const arg = args[index++];
        switch (spec) {
          case '%s': return typeof arg === 'string' ? arg : show(arg, 1, []);
          case '%d': case '%i': return String(spec === '%i' ? parseInt(arg, 10) : Number(arg));
          case '%f': return String(parseFloat(arg));
          case '%j': try { return JSON.stringify(arg); } catch (_) { return '[Circular]'; }
          case '%c': return '';
          default: return show(arg, 1, []);
        }
      });
      rest = args.slice(index);
      return [head, ...rest.map((arg) => show(arg, 0, []))].join(' ');
    }
    return rest.map((arg) => show(arg, 0, [])).join(' ');
  }

  const log = (level) => (...args) => native.log(level, format(args));
  globalThis.console = {
    log: log('info'), info: log('info'), debug: log('debug'), trace: log('debug'),
    warn: log('warn'), error: log('error'),
    dir: (value) => native.log('info', show(value, 1, [])),
    table: (value) => native.log('info', show(value, 1, [])),
    time() {}, timeEnd() {}, group() {}, groupEnd() {},
  };

  // ---- process and timers ----
  globalThis.process = {
    env: native.env,
    argv: ['mongrate'],
    platform: native.platform,
    version: 'v20.0.0',
    versions: { mongrate: native.version },
    cwd: () => native.cwd,
    exit: (code) => { throw new Error(`process.exit(${code === undefined ? '' : code}) called in a migration: throw an error to fail it instead`); },
    nextTick: (fn, ...args) => Promise.resolve().then(() => fn(...args)),
    hrtime: Object.assign(() => [0, 0], { bigint: () => BigInt(Date.now()) * 1000000n }),
    memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0 }),
  };
  globalThis.global = globalThis;

  globalThis.setTimeout = (fn, ms, ...args) => {
    const timer = { cancelled: false, unref() { return timer; }, ref() { return timer; } };
    native.sleep(Number(ms) || 0).then(() => { if (!timer.cancelled) fn(...args); });
    return timer;
  };
  globalThis.clearTimeout = (timer) => { if (timer) timer.cancelled = true; };
  globalThis.setImmediate = (fn, ...args) => globalThis.setTimeout(fn, 0, ...args);
  globalThis.clearImmediate = globalThis.clearTimeout;
  globalThis.setInterval = (fn, ms, ...args) => {
    const timer = { cancelled: false, unref() { return timer; }, ref() { return timer; } };
    const tick = () => native.sleep(Number(ms) || 0).then(() => { if (!timer.cancelled) { fn(...args); tick(); } });
    tick();
    return timer;
  };
  globalThis.clearInterval = globalThis.clearTimeout;

  // ---- modules ----
  M.mongodbModule = Object.freeze({ ...M.bson, ...M.driver, default: undefined });

  const cache = new Map();
  M.requireFrom = (dir) => (specifier) => {
    if (specifier === 'mongodb' || specifier === 'bson') return M.mongodbModule;
    if (specifier === 'mongrate') return M.mongrateModule;
    if (specifier === 'dotenv' || specifier === 'dotenv/config') return M.dotenv(specifier);
    if (typeof specifier === 'string' && (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/'))) {
      return M.loadCommonJs(native.resolveModule(dir, specifier));
    }
    throw new Error(`Cannot find module '${specifier}': mongrate runs migrations without Node.js, so a migration can ` +
      "require only 'mongodb', 'mongrate' and files of the project by relative path (./ or ../)");
  };

  M.loadCommonJs = (file) => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const dir = native.dirname(file);
    if (file.endsWith('.json')) {
      const module = { exports: JSON.parse(native.readModule(file)) };
      cache.set(file, module);
      return module.exports;
    }
    const module = { exports: {}, id: file, filename: file, loaded: false, path: dir };
    cache.set(file, module);
    const wrapper = native.compileCommonJs(file);
    wrapper.call(module.exports, module.exports, M.requireFrom(dir), module, file, dir);
    module.loaded = true;
    return module.exports;
  };

  // `require('dotenv').config()` is common in migrate-mongo configurations: read `.env` into
  // process.env (variables already set win), as dotenv does.
  M.dotenv = (specifier) => {
    const config = (options) => {
      const file = (options && options.path) || `${native.cwd}/.env`;
      const parsed = {};
      let text;
      try { text = native.readModule(file); } catch (error) { return { error }; }
      for (const line of text.split(/\r?\n/)) {
        const match = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (!match) continue;
        let value = match[2];
        const quoted = /^(['"`])(.*)\1$/.exec(value);
        if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, '\n') : quoted[2];
        else value = value.replace(/\s+#.*$/, '');
        parsed[match[1]] = value;
        if (process.env[match[1]] === undefined) process.env[match[1]] = value;
      }
      return { parsed };
    };
    if (specifier === 'dotenv/config') config();
    return { config, parse: undefined };
  };

  // What a migrate-mongo configuration (`module.exports = config` or `export default config`) says.
  M.migrateMongoConfig = (exports) => {
    const config = (exports && exports.default) || exports || {};
    const mongodb = config.mongodb || {};
    const text = (value) => (value === undefined || value === null ? null : String(value));
    return {
      url: text(mongodb.url),
      databaseName: text(mongodb.databaseName),
      migrationsDir: text(config.migrationsDir),
      changelogCollectionName: text(config.changelogCollectionName),
      lockCollectionName: text(config.lockCollectionName),
    };
  };

  // ---- a migration's exports ----
  // The object holding `up`/`down`: the module itself, its default export, or (seed 004) a
  // `migration` export.
  // Seed 003's class form: the export is a class (extending `MigrationBase`) whose instance has
  // `up()`/`down()` and sets `version`, `description`, `author` in its constructor.
  const isMigrationClass = (candidate) => typeof candidate === 'function' && candidate.prototype &&
    (typeof candidate.prototype.up === 'function' || typeof candidate.prototype.down === 'function');

  M.migrationOf = (exports) => {
    const candidates = [exports, exports && exports.default, exports && exports.migration];
    for (const candidate of candidates) {
      if (isMigrationClass(candidate)) return new candidate(globalThis.mongoose);
      if (candidate && (typeof candidate.up === 'function' || typeof candidate.down === 'function')) return candidate;
    }
    return exports || {};
  };

  const text = (value) => (value === undefined || value === null ? null : String(value));
  M.describe = (exports) => {
    const migration = M.migrationOf(exports);
    const field = (name) => (migration[name] !== undefined ? migration[name] : exports && exports[name]);
    const backup = field('backup');
    const lintIgnore = field('lintIgnore');
    return {
      hasUp: typeof migration.up === 'function',
      hasDown: typeof migration.down === 'function',
      name: text(field('name')),
      description: text(field('description')),
      author: text(field('author')),
      transaction: field('transaction') === undefined ? null : !!field('transaction'),
      phase: text(field('phase')),
      repeatable: field('repeatable') === true,
      backup: Array.isArray(backup) ? backup.map(String) : typeof backup === 'string' ? [backup] : [],
      lintIgnore: Array.isArray(lintIgnore) ? lintIgnore.map(String) : typeof lintIgnore === 'string' ? [lintIgnore] : [],
    };
  };

  M.run = async (exports, direction) => {
    const client = new M.driver.MongoClient(native.databaseName);
    const db = client.db();
    M.currentDb = db;
    M.currentClient = client;
    globalThis.mongoose = {
      connection: { db, client, getClient: () => client, readyState: 1, name: native.databaseName },
      startSession: async (options) => client.startSession(options),
      connect: async () => globalThis.mongoose,
      disconnect: async () => {},
      Types: { ObjectId: M.bson.ObjectId, Decimal128: M.bson.Decimal128, Long: M.bson.Long },
      model: (name) => new M.mongrateModule.MigrationBase(globalThis.mongoose).models[name],
    };
    // A class is instantiated with the connection in place (its constructor reads `this.db`).
    const migration = M.migrationOf(exports);
    const fn = migration[direction];
    if (typeof fn !== 'function') throw new Error(`the migration exports no ${direction} function`);
    await fn.call(migration, db, client);
  };
})(globalThis.__mongrate);
