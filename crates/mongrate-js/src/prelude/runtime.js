// How mongrate reads a migration's exports (and a migrate-mongo configuration's) and runs its up
// or down, with the seed-style `mongoose` global in place.
(function (M) {
  'use strict';
  const native = M.native;

  // What a migrate-mongo configuration (`module.exports = config` or `export default config`) says.
  // The configuration may also be a function or a promise of it. An empty `databaseName` means the
  // URL's database, as in migrate-mongo.
  M.migrateMongoConfig = async (exports) => {
    let config = exports && exports.default !== undefined ? exports.default : exports;
    if (typeof config === 'function') config = config();
    config = (await config) || {};
    const mongodb = config.mongodb || {};
    const text = (value) => (value === undefined || value === null ? null : String(value));
    return {
      url: text(mongodb.url),
      databaseName: text(mongodb.databaseName) || null,
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
    try {
      await fn.call(migration, db, client);
    } finally {
      M.endTimers();
    }
  };
})(globalThis.__mongrate);
