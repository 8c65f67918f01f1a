// The Node driver's `db` / `client` API that migrate-mongo migrations use, over the host's
// `native` primitives (a command, a cursor, a session). Results have the Node driver's shapes.
(function (M) {
  'use strict';
  const native = M.native;
  const { ObjectId } = M.bson;

  // ---- errors, named as the Node driver names them ----
  class MongoError extends Error {
    get name() { return 'MongoError'; }
    hasErrorLabel(label) { return Array.isArray(this.errorLabels) && this.errorLabels.includes(label); }
  }
  class MongoServerError extends MongoError { get name() { return 'MongoServerError'; } }
  class MongoBulkWriteError extends MongoServerError {
    get name() { return 'MongoBulkWriteError'; }
    get insertedCount() { return this.result.insertedCount; }
    get matchedCount() { return this.result.matchedCount; }
    get modifiedCount() { return this.result.modifiedCount; }
    get deletedCount() { return this.result.deletedCount; }
    get upsertedCount() { return this.result.upsertedCount; }
    get insertedIds() { return this.result.insertedIds; }
    get upsertedIds() { return this.result.upsertedIds; }
  }
  class MongoNetworkError extends MongoError { get name() { return 'MongoNetworkError'; } }
  class MongoDriverError extends MongoError { get name() { return 'MongoDriverError'; } }
  class MongoAPIError extends MongoDriverError { get name() { return 'MongoAPIError'; } }
  class MongoInvalidArgumentError extends MongoAPIError { get name() { return 'MongoInvalidArgumentError'; } }
  class MongoRuntimeError extends MongoDriverError { get name() { return 'MongoRuntimeError'; } }
  class MongoCursorInUseError extends MongoAPIError { get name() { return 'MongoCursorInUseError'; } }
  class MongoTransactionError extends MongoAPIError { get name() { return 'MongoTransactionError'; } }
  class MongoExpiredSessionError extends MongoAPIError { get name() { return 'MongoExpiredSessionError'; } }

  const KINDS = { server: MongoServerError, network: MongoNetworkError };

  // `trace` was made where the migration called, so the error's stack names the migration's line.
  function failure(reply, trace) {
    const Class = KINDS[reply.kind] || MongoDriverError;
    const error = new Class(reply.message);
    for (const key of ['code', 'codeName', 'errorLabels', 'errorResponse', 'keyPattern', 'keyValue', 'errInfo']) {
      if (reply[key] !== undefined) error[key] = reply[key];
    }
    if (trace) error.stack = trace.stack;
    return error;
  }

  function writeError(first, trace) {
    const error = new MongoServerError(first.errmsg);
    error.code = first.code;
    error.index = first.index;
    error.errmsg = first.errmsg;
    if (first.keyPattern !== undefined) error.keyPattern = first.keyPattern;
    if (first.keyValue !== undefined) error.keyValue = first.keyValue;
    if (first.errInfo !== undefined) error.errInfo = first.errInfo;
    if (trace) error.stack = trace.stack;
    return error;
  }

  const toNumber = (value) => (value === undefined || value === null ? 0 : Number(value));

  function sessionOf(options) {
    const session = options && options.session;
    if (session) return session._use();
    // The migration's own transaction (`transaction: true`), where mongrate runs one.
    return native.ambientSession;
  }

  // Runs one command; `promote` turns every number of the reply into a JavaScript number, as the
  // Node driver does for command replies.
  async function command(dbName, body, options, trace, label, promote) {
    const session = sessionOf(options);
    if (session && options && options.session) await options.session._ready();
    const site = native.dryRun && trace ? trace.stack : '';
    const reply = await native.command(dbName, body, session, !!promote, label || '', site);
    if (reply && reply.__error === true) throw failure(reply, trace);
    return reply;
  }

  const isOperatorDocument = (update) =>
    update && typeof update === 'object' && !Array.isArray(update) && Object.keys(update).length > 0 &&
    Object.keys(update)[0].startsWith('$');

  function checkUpdate(update) {
    if (Array.isArray(update)) return;
    if (!isOperatorDocument(update)) throw new MongoInvalidArgumentError('Update document requires atomic operators');
  }
  function checkReplacement(replacement) {
    if (isOperatorDocument(replacement)) throw new MongoInvalidArgumentError('Replacement document must not contain atomic operators');
  }

  const COMMAND_OPTIONS = ['writeConcern', 'bypassDocumentValidation', 'comment', 'let', 'maxTimeMS'];
  function withCommandOptions(body, options) {
    for (const key of COMMAND_OPTIONS) if (options && options[key] !== undefined) body[key] = options[key];
    return body;
  }
  function pick(target, source, keys) {
    for (const key of keys) if (source && source[key] !== undefined) target[key] = source[key];
    return target;
  }

  // ---- write commands, split into batches ----
  const LIST = { insert: 'documents', update: 'updates', delete: 'deletes' };

  // Sends `statements` of one kind; returns { n, nModified, upserted, writeErrors } over all batches.
  async function write(collection, kind, statements, options, trace, label) {
    const ordered = !(options && options.ordered === false);
    const size = kind === 'insert' ? native.maxInsertsPerCommand : native.maxWritesPerCommand;
    const total = { n: 0, nModified: 0, upserted: [], writeErrors: [] };
    for (let start = 0; start < statements.length; start += size) {
      const body = { [kind]: collection.collectionName, [LIST[kind]]: statements.slice(start, start + size), ordered };
      withCommandOptions(body, options);
      const reply = await command(collection.dbName, body, options, trace, label);
      total.n += toNumber(reply.n);
      total.nModified += toNumber(reply.nModified);
      for (const up of reply.upserted || []) total.upserted.push({ index: toNumber(up.index) + start, _id: up._id });
      for (const error of reply.writeErrors || []) {
        total.writeErrors.push({ ...error, index: toNumber(error.index) + start, code: toNumber(error.code) });
      }
      if (reply.writeConcernError) throw failure({ kind: 'server', message: reply.writeConcernError.errmsg, code: reply.writeConcernError.code }, trace);
      if (ordered && total.writeErrors.length > 0) break;
    }
    return total;
  }

  function updateStatement(filter, update, options, multi) {
    // As the Node driver sends them: `multi` only when true, `upsert` only when given.
    const statement = { q: filter || {}, u: update };
    if (options && options.upsert !== undefined) statement.upsert = !!options.upsert;
    if (multi) statement.multi = true;
    return pick(statement, options, ['arrayFilters', 'collation', 'hint']);
  }

  function updateResult(reply) {
    const upserted = reply.upserted.length;
    return {
      acknowledged: true,
      matchedCount: upserted > 0 ? 0 : reply.n,
      modifiedCount: reply.nModified,
      upsertedCount: upserted,
      upsertedId: upserted > 0 ? reply.upserted[0]._id : null,
    };
  }

  function withId(document) {
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw new MongoInvalidArgumentError('a document to insert must be an object');
    }
    if (document._id === undefined) document._id = new ObjectId();
    return document;
  }

  // ---- cursors ----
  class AbstractCursor {
    constructor(db) {
      this._db = db;
      this._id = null;
      this._buffer = [];
      this._position = 0;
      this._exhausted = false;
      this._closed = false;
      this._transform = null;
      this._options = {};
      this._trace = null;
    }
    get _buffered() { return this._buffer.length - this._position; }
    _take() { return this._buffer[this._position++]; }
    get closed() { return this._closed; }
    get killed() { return this._closed && !this._exhausted; }
    get id() { return this._id; }
    _mutable() {
      if (this._id !== null) throw new MongoCursorInUseError('Cursor is already initialized');
      return this;
    }
    _batchSize() { return this._options.batchSize > 0 ? this._options.batchSize : 1000; }
    async _fetch() {
      if (this._exhausted || this._closed) return;
      if (this._id === null) {
        this._trace = this._trace || new Error();
        const session = sessionOf(this._options);
        const opened = await native.openCursor(this._db.databaseName, this._command(), session);
        if (opened && opened.__error === true) throw failure(opened, this._trace);
        this._id = opened;
      }
      const batch = await native.nextBatch(this._id, this._batchSize());
      if (batch && batch.__error === true) throw failure(batch, this._trace);
      // The buffer is drained by position (shifting an array moves all that is left).
      this._buffer = this._buffer.length > this._position ? this._buffer.slice(this._position).concat(batch.documents) : batch.documents;
      this._position = 0;
      if (batch.done) {
        this._exhausted = true;
        this._closed = true;
      }
    }
    async hasNext() {
      while (this._buffered === 0 && !this._exhausted && !this._closed) await this._fetch();
      return this._buffered > 0;
    }
    _map(doc) { return this._transform ? this._transform(doc) : doc; }
    async next() {
      if (!(await this.hasNext())) return null;
      return this._map(this._take());
    }
    async tryNext() { return this.next(); }
    async toArray() {
      this._trace = this._trace || new Error();
      const out = [];
      while (await this.hasNext()) {
        const batch = this._buffer;
        for (let i = this._position; i < batch.length; i++) out.push(this._map(batch[i]));
        this._buffer = [];
        this._position = 0;
      }
      return out;
    }
    async forEach(iterator) {
      if (typeof iterator !== 'function') throw new MongoInvalidArgumentError('Argument "iterator" must be a function');
      while (await this.hasNext()) {
        if (iterator(this._map(this._take())) === false) {
          await this.close();
          break;
        }
      }
    }
    map(transform) {
      const previous = this._transform;
      this._transform = previous ? (doc) => transform(previous(doc)) : transform;
      return this;
    }
    batchSize(size) { this._mutable()._options.batchSize = size; return this; }
    maxTimeMS(ms) { this._mutable()._options.maxTimeMS = ms; return this; }
    comment(text) { this._mutable()._options.comment = text; return this; }
    bufferedCount() { return this._buffered; }
    readBufferedDocuments(count) {
      const end = count === undefined ? this._buffer.length : Math.min(this._buffer.length, this._position + count);
      const taken = this._buffer.slice(this._position, end);
      this._position = end;
      return taken;
    }
    async close() {
      if (this._id !== null && !this._closed) native.closeCursor(this._id);
      this._closed = true;
      this._buffer = [];
      this._position = 0;
    }
    rewind() {
      if (this._id !== null && !this._closed) native.closeCursor(this._id);
      this._id = null;
      this._buffer = [];
      this._position = 0;
      this._exhausted = false;
      this._closed = false;
    }
    // `for await`: a plain iterator object (an async generator costs a suspension per document).
    [Symbol.asyncIterator]() {
      const cursor = this;
      const done = async () => {
        await cursor.close();
        return { value: undefined, done: true };
      };
      return {
        async next() {
          if (cursor._buffered > 0 || (await cursor.hasNext())) return { value: cursor._map(cursor._take()), done: false };
          return done();
        },
        return: done,
        [Symbol.asyncIterator]() { return this; },
      };
    }
    stream() { throw new MongoAPIError('cursor.stream() needs Node.js streams; iterate with for await or next() instead'); }
  }

  function sortSpec(sort, direction) {
    if (sort === undefined || sort === null) return undefined;
    if (typeof sort === 'string') return { [sort]: direction === undefined ? 1 : direction };
    if (Array.isArray(sort)) {
      const spec = {};
      if (sort.length === 2 && typeof sort[0] === 'string' && !Array.isArray(sort[1])) {
        spec[sort[0]] = sort[1];
        return spec;
      }
      for (const item of sort) {
        if (Array.isArray(item)) spec[item[0]] = item[1];
        else spec[item] = 1;
      }
      return spec;
    }
    return sort;
  }

  const FIND_OPTIONS = ['sort', 'projection', 'skip', 'limit', 'batchSize', 'hint', 'collation', 'min', 'max',
    'maxTimeMS', 'comment', 'allowDiskUse', 'let', 'returnKey', 'showRecordId', 'noCursorTimeout', 'singleBatch'];

  class FindCursor extends AbstractCursor {
    constructor(collection, filter, options) {
      super(collection.s.db);
      this._collection = collection;
      this._filter = filter || {};
      this._options = { ...(options || {}) };
      if (this._options.fields && !this._options.projection) this._options.projection = this._options.fields;
      if (this._options.sort !== undefined) this._options.sort = sortSpec(this._options.sort);
    }
    _command() {
      const body = { find: this._collection.collectionName, filter: this._filter };
      pick(body, this._options, FIND_OPTIONS);
      if (body.limit !== undefined && body.limit < 0) {
        body.limit = -body.limit;
        body.singleBatch = true;
      }
      if (body.limit === 0) delete body.limit;
      if (body.batchSize === undefined) delete body.batchSize;
      return body;
    }
    filter(filter) { this._mutable()._filter = filter; return this; }
    sort(sort, direction) { this._mutable()._options.sort = sortSpec(sort, direction); return this; }
    limit(value) { this._mutable()._options.limit = value; return this; }
    skip(value) { this._mutable()._options.skip = value; return this; }
    project(projection) { this._mutable()._options.projection = projection; return this; }
    hint(hint) { this._mutable()._options.hint = hint; return this; }
    collation(collation) { this._mutable()._options.collation = collation; return this; }
    allowDiskUse(allow = true) { this._mutable()._options.allowDiskUse = allow; return this; }
    min(min) { this._mutable()._options.min = min; return this; }
    max(max) { this._mutable()._options.max = max; return this; }
    async count() { return this._collection.countDocuments(this._filter, { skip: this._options.skip, limit: this._options.limit }); }
    clone() {
      const copy = new FindCursor(this._collection, this._filter, this._options);
      copy._transform = this._transform;
      return copy;
    }
  }

  class AggregationCursor extends AbstractCursor {
    constructor(db, target, pipeline, options) {
      super(db);
      this._target = target; // a collection name, or 1 for a database-level aggregate
      this._pipeline = pipeline || [];
      this._options = { ...(options || {}) };
    }
    _command() {
      const cursor = {};
      if (this._options.batchSize > 0) cursor.batchSize = this._options.batchSize;
      const body = { aggregate: this._target, pipeline: this._pipeline, cursor };
      return pick(body, this._options, ['allowDiskUse', 'hint', 'collation', 'maxTimeMS', 'comment', 'let', 'bypassDocumentValidation']);
    }
    _stage(stage) { this._mutable()._pipeline.push(stage); return this; }
    match(filter) { return this._stage({ $match: filter }); }
    project(projection) { return this._stage({ $project: projection }); }
    group(group) { return this._stage({ $group: group }); }
    sort(sort) { return this._stage({ $sort: sort }); }
    limit(limit) { return this._stage({ $limit: limit }); }
    skip(skip) { return this._stage({ $skip: skip }); }
    unwind(field) { return this._stage({ $unwind: field }); }
    lookup(spec) { return this._stage({ $lookup: spec }); }
    addStage(stage) { return this._stage(stage); }
    clone() { return new AggregationCursor(this._db, this._target, [...this._pipeline], this._options); }
  }

  class CommandCursor extends AbstractCursor {
    constructor(db, body, options) {
      super(db);
      this._body = body;
      this._options = { ...(options || {}) };
    }
    _command() { return this._body; }
  }

  // ---- bulk writes ----
  class BulkWriteResult {
    constructor() {
      this.ok = 1;
      this.insertedCount = 0;
      this.matchedCount = 0;
      this.modifiedCount = 0;
      this.deletedCount = 0;
      this.upsertedCount = 0;
      this.upsertedIds = {};
      this.insertedIds = {};
    }
    isOk() { return this.ok === 1; }
    getInsertedIds() { return Object.entries(this.insertedIds).map(([index, _id]) => ({ index: Number(index), _id })); }
    getUpsertedIds() { return Object.entries(this.upsertedIds).map(([index, _id]) => ({ index: Number(index), _id })); }
    getUpsertedIdAt(index) { return this.getUpsertedIds()[index]; }
    hasWriteErrors() { return false; }
  }

  // One bulkWrite model as a write statement: { kind, statement, id (an insert's _id) }.
  function bulkStatement(model) {
    if (!model || typeof model !== 'object') throw new MongoInvalidArgumentError('a bulkWrite operation must be an object');
    if (model.insertOne) {
      const document = withId(model.insertOne.document !== undefined ? model.insertOne.document : model.insertOne);
      return { kind: 'insert', statement: document, id: document._id };
    }
    const update = model.updateOne || model.updateMany;
    if (update) {
      checkUpdate(update.update);
      return { kind: 'update', statement: updateStatement(update.filter, update.update, update, !!model.updateMany) };
    }
    if (model.replaceOne) {
      checkReplacement(model.replaceOne.replacement);
      return { kind: 'update', statement: updateStatement(model.replaceOne.filter, model.replaceOne.replacement, model.replaceOne, false) };
    }
    const remove = model.deleteOne || model.deleteMany;
    if (remove) {
      const statement = pick({ q: remove.filter || {}, limit: model.deleteOne ? 1 : 0 }, remove, ['collation', 'hint']);
      return { kind: 'delete', statement };
    }
    throw new MongoInvalidArgumentError(`unknown bulkWrite operation: ${Object.keys(model).join(', ')}`);
  }

  async function bulkWrite(collection, models, options, trace, label) {
    if (!Array.isArray(models)) throw new MongoInvalidArgumentError('bulkWrite takes an array of operations');
    // As the Node driver: an empty bulkWrite, insertMany or bulk execute() is an error.
    if (models.length === 0) {
      const error = new MongoInvalidArgumentError('Invalid BulkOperation, Batch cannot be empty');
      if (trace) error.stack = trace.stack;
      throw error;
    }
    const ordered = !(options && options.ordered === false);
    const result = new BulkWriteResult();
    // Ordered: consecutive operations of one kind form a batch; unordered: one batch per kind.
    // A batch keeps its statements and, beside them, each one's index in `models`. (Plain indexed
    // loops: this runs for every document of a data migration, and QuickJS has no JIT.)
    const batches = [];
    const byKind = {};
    for (let index = 0; index < models.length; index++) {
      const { kind, statement, id } = bulkStatement(models[index]);
      if (kind === 'insert') result.insertedIds[index] = id;
      let batch = ordered ? batches[batches.length - 1] : byKind[kind];
      if (!batch || batch.kind !== kind) {
        batch = { kind, statements: [], indexes: [] };
        if (ordered) batches.push(batch);
        else byKind[kind] = batch;
      }
      batch.statements.push(statement);
      batch.indexes.push(index);
    }
    if (!ordered) for (const kind of ['insert', 'update', 'delete']) if (byKind[kind]) batches.push(byKind[kind]);
    const writeErrors = [];
    for (const batch of batches) {
      const reply = await write(collection, batch.kind, batch.statements, options, trace, label || `bulkWrite ${collection.collectionName}`);
      if (batch.kind === 'insert') result.insertedCount += reply.n;
      if (batch.kind === 'delete') result.deletedCount += reply.n;
      if (batch.kind === 'update') {
        result.matchedCount += reply.n - reply.upserted.length;
        result.modifiedCount += reply.nModified;
        result.upsertedCount += reply.upserted.length;
        // Keyed as the Node driver keys them: the server's index plus the list index of the
        // batch's first operation (for an unordered bulk that is not the operation's own index).
        for (const up of reply.upserted) result.upsertedIds[batch.indexes[0] + up.index] = up._id;
      }
      for (const error of reply.writeErrors) writeErrors.push({ ...error, index: batch.indexes[error.index] });
      if (ordered && writeErrors.length > 0) break;
    }
    if (writeErrors.length > 0) {
      // Only the documents that went in: not the failed ones, nor what an ordered bulk never sent.
      const failed = new Set(writeErrors.map((error) => error.index));
      const stop = ordered ? Math.min(...failed) : Infinity;
      for (const index of Object.keys(result.insertedIds)) {
        if (failed.has(Number(index)) || Number(index) >= stop) delete result.insertedIds[index];
      }
      const first = writeErrors[0];
      const error = new MongoBulkWriteError(first.errmsg);
      error.code = first.code;
      error.writeErrors = writeErrors;
      error.result = result;
      result.hasWriteErrors = () => true;
      result.getWriteErrors = () => writeErrors;
      if (trace) error.stack = trace.stack;
      throw error;
    }
    return result;
  }

  // The legacy builder (`initializeOrderedBulkOp`), over bulkWrite.
  class BulkOperation {
    constructor(collection, ordered) {
      this._collection = collection;
      this._ordered = ordered;
      this._models = [];
    }
    get length() { return this._models.length; }
    insert(document) { this._models.push({ insertOne: { document } }); return this; }
    find(filter) {
      const models = this._models;
      const state = { upsert: false };
      const selector = {
        upsert() { state.upsert = true; return selector; },
        updateOne(update) { models.push({ updateOne: { filter, update, upsert: state.upsert } }); },
        update(update) { models.push({ updateMany: { filter, update, upsert: state.upsert } }); },
        replaceOne(replacement) { models.push({ replaceOne: { filter, replacement, upsert: state.upsert } }); },
        deleteOne() { models.push({ deleteOne: { filter } }); },
        delete() { models.push({ deleteMany: { filter } }); },
      };
      return selector;
    }
    async execute(options) {
      return bulkWrite(this._collection, this._models, { ...(options || {}), ordered: this._ordered }, new Error());
    }
  }

  // ---- collection ----
  function indexName(keys) {
    return Object.entries(keys).map(([field, kind]) => `${field}_${kind}`).join('_');
  }
  function indexKeys(spec) {
    if (typeof spec === 'string') return { [spec]: 1 };
    if (Array.isArray(spec)) {
      const keys = {};
      for (const item of spec) {
        if (Array.isArray(item)) keys[item[0]] = item[1];
        else if (typeof item === 'string') keys[item] = 1;
        else Object.assign(keys, item);
      }
      return keys;
    }
    return spec;
  }
  const NOT_INDEX_OPTIONS = new Set(['session', 'commitQuorum', 'maxTimeMS', 'writeConcern', 'comment']);

  class Collection {
    constructor(db, name) {
      if (typeof name !== 'string' || name.length === 0) throw new MongoInvalidArgumentError('collection names must be non-empty strings');
      this.s = { db, name };
    }
    get collectionName() { return this.s.name; }
    get dbName() { return this.s.db.databaseName; }
    get namespace() { return `${this.dbName}.${this.collectionName}`; }
    _label(what) { return `${what} ${this.collectionName}`; }

    async insertOne(document, options) {
      const trace = new Error();
      withId(document);
      const reply = await write(this, 'insert', [document], options, trace, this._label('insertOne'));
      if (reply.writeErrors.length > 0) throw writeError(reply.writeErrors[0], trace);
      return { acknowledged: true, insertedId: document._id };
    }
    async insertMany(documents, options) {
      const trace = new Error();
      if (!Array.isArray(documents)) throw new MongoInvalidArgumentError('Argument "docs" must be an array of documents');
      const result = await bulkWrite(this, documents.map((document) => ({ insertOne: { document } })), options, trace, this._label('insertMany'));
      return { acknowledged: true, insertedCount: result.insertedCount, insertedIds: result.insertedIds };
    }
    async _update(filter, update, options, multi, what) {
      const trace = new Error();
      const reply = await write(this, 'update', [updateStatement(filter, update, options, multi)], options, trace, this._label(what));
      if (reply.writeErrors.length > 0) throw writeError(reply.writeErrors[0], trace);
      return updateResult(reply);
    }
    async updateOne(filter, update, options) { checkUpdate(update); return this._update(filter, update, options, false, 'updateOne'); }
    async updateMany(filter, update, options) { checkUpdate(update); return this._update(filter, update, options, true, 'updateMany'); }
    async replaceOne(filter, replacement, options) {
      checkReplacement(replacement);
      return this._update(filter, replacement, options, false, 'replaceOne');
    }
    async _delete(filter, options, limit, what) {
      const trace = new Error();
      const statement = pick({ q: filter || {}, limit }, options, ['collation', 'hint']);
      const reply = await write(this, 'delete', [statement], options, trace, this._label(what));
      if (reply.writeErrors.length > 0) throw writeError(reply.writeErrors[0], trace);
      return { acknowledged: true, deletedCount: reply.n };
    }
    async deleteOne(filter, options) { return this._delete(filter, options, 1, 'deleteOne'); }
    async deleteMany(filter, options) { return this._delete(filter, options, 0, 'deleteMany'); }

    find(filter, options) { return new FindCursor(this, filter, options); }
    async findOne(filter, options) {
      const cursor = new FindCursor(this, filter, { ...(options || {}), limit: -1 });
      cursor._trace = new Error();
      const found = await cursor.next();
      await cursor.close();
      return found;
    }
    aggregate(pipeline, options) { return new AggregationCursor(this.s.db, this.collectionName, pipeline, options); }

    async _findAndModify(filter, options, fields, what) {
      const trace = new Error();
      const body = { findAndModify: this.collectionName, query: filter || {}, ...fields };
      if (options) {
        if (options.sort !== undefined) body.sort = sortSpec(options.sort);
        if (options.projection !== undefined) body.fields = options.projection;
        pick(body, options, ['arrayFilters', 'collation', 'hint', 'bypassDocumentValidation', 'let', 'comment', 'maxTimeMS', 'writeConcern']);
      }
      const reply = await command(this.dbName, body, options, trace, this._label(what));
      const value = reply.value === undefined ? null : reply.value;
      if (options && options.includeResultMetadata) {
        const meta = reply.lastErrorObject || {};
        const lastErrorObject = { ...meta, n: toNumber(meta.n) };
        return { lastErrorObject, value, ok: toNumber(reply.ok) };
      }
      return value;
    }
    _returnsNew(options) {
      return !!options && (options.returnDocument === 'after' || options.returnOriginal === false);
    }
    async findOneAndUpdate(filter, update, options) {
      checkUpdate(update);
      const fields = { update, new: this._returnsNew(options), upsert: !!(options && options.upsert) };
      return this._findAndModify(filter, options, fields, 'findOneAndUpdate');
    }
    async findOneAndReplace(filter, replacement, options) {
      checkReplacement(replacement);
      const fields = { update: replacement, new: this._returnsNew(options), upsert: !!(options && options.upsert) };
      return this._findAndModify(filter, options, fields, 'findOneAndReplace');
    }
    async findOneAndDelete(filter, options) { return this._findAndModify(filter, options, { remove: true }, 'findOneAndDelete'); }

    async countDocuments(filter, options) {
      const pipeline = [{ $match: filter || {} }];
      if (options && options.skip) pipeline.push({ $skip: options.skip });
      if (options && options.limit) pipeline.push({ $limit: options.limit });
      pipeline.push({ $group: { _id: 1, n: { $sum: 1 } } });
      const cursor = new AggregationCursor(this.s.db, this.collectionName, pipeline, options);
      cursor._trace = new Error();
      const result = await cursor.next();
      await cursor.close();
      return result ? toNumber(result.n) : 0;
    }
    async estimatedDocumentCount(options) {
      const reply = await command(this.dbName, { count: this.collectionName }, options, new Error(), this._label('count'), true);
      return toNumber(reply.n);
    }
    async count(filter, options) { return this.countDocuments(filter, options); }
    async distinct(key, filter, options) {
      const body = pick({ distinct: this.collectionName, key, query: filter || {} }, options, ['collation', 'comment', 'maxTimeMS']);
      const reply = await command(this.dbName, body, options, new Error(), this._label('distinct'));
      return reply.values || [];
    }
    async bulkWrite(models, options) { return bulkWrite(this, models, options, new Error()); }
    initializeOrderedBulkOp() { return new BulkOperation(this, true); }
    initializeUnorderedBulkOp() { return new BulkOperation(this, false); }

    async createIndex(spec, options) {
      const [name] = await this._createIndexes([{ ...(options || {}), key: indexKeys(spec) }], options, new Error());
      return name;
    }
    async createIndexes(specs, options) { return this._createIndexes(specs, options, new Error()); }
    async _createIndexes(specs, options, trace) {
      const indexes = specs.map((spec) => {
        const index = { key: indexKeys(spec.key) };
        for (const [key, value] of Object.entries(spec)) {
          if (key !== 'key' && !NOT_INDEX_OPTIONS.has(key) && value !== undefined) index[key] = value;
        }
        if (index.name === undefined) index.name = indexName(index.key);
        return index;
      });
      const body = { createIndexes: this.collectionName, indexes };
      pick(body, options, ['commitQuorum', 'maxTimeMS', 'writeConcern', 'comment']);
      await command(this.dbName, body, options, trace, this._label('createIndex'));
      return indexes.map((index) => index.name);
    }
    async dropIndex(name, options) {
      const index = typeof name === 'string' ? name : indexName(indexKeys(name));
      return command(this.dbName, { dropIndexes: this.collectionName, index }, options, new Error(), this._label('dropIndex'), true);
    }
    async dropIndexes(options) {
      await command(this.dbName, { dropIndexes: this.collectionName, index: '*' }, options, new Error(), this._label('dropIndexes'), true);
      return true;
    }
    listIndexes(options) { return new CommandCursor(this.s.db, { listIndexes: this.collectionName }, options); }
    async indexes(options) { return this.listIndexes(options).toArray(); }
    async indexExists(names, options) {
      const wanted = Array.isArray(names) ? names : [names];
      const existing = new Set((await this.indexes(options)).map((index) => index.name));
      return wanted.every((name) => existing.has(name));
    }
    async indexInformation(options) {
      const indexes = await this.indexes(options);
      const info = {};
      for (const index of indexes) info[index.name] = options && options.full ? index : Object.entries(index.key);
      return options && options.full ? indexes : info;
    }
    async rename(newName, options) {
      const body = { renameCollection: this.namespace, to: `${this.dbName}.${newName}` };
      if (options && options.dropTarget !== undefined) body.dropTarget = options.dropTarget;
      await command('admin', body, options, new Error(), this._label('rename'), true);
      return new Collection(this.s.db, newName);
    }
    async drop(options) {
      try {
        await command(this.dbName, { drop: this.collectionName }, options, new Error(), this._label('drop'), true);
        return true;
      } catch (error) {
        if (error.code === 26) return false;
        throw error;
      }
    }
    async isCapped(options) { return !!(await this.options(options)).capped; }
    async options(options) {
      const [info] = await this.s.db.listCollections({ name: this.collectionName }, options).toArray();
      if (!info) throw new MongoAPIError(`Collection ${this.namespace} not found`);
      return info.options || {};
    }
  }

  // ---- database ----
  class Db {
    constructor(client, name) {
      this.client = client;
      this.databaseName = name;
    }
    get namespace() { return this.databaseName; }
    collection(name) { return new Collection(this, name); }
    async createCollection(name, options) {
      const body = { create: name };
      for (const [key, value] of Object.entries(options || {})) if (key !== 'session' && value !== undefined) body[key] = value;
      await command(this.databaseName, body, options, new Error(), `createCollection ${name}`, true);
      return new Collection(this, name);
    }
    async dropCollection(name, options) { return new Collection(this, name).drop(options); }
    listCollections(filter, options) {
      const body = { listCollections: 1, filter: filter || {} };
      pick(body, options, ['nameOnly', 'authorizedCollections', 'comment']);
      return new CommandCursor(this, body, options);
    }
    async collections(options) {
      const infos = await this.listCollections({}, { ...(options || {}), nameOnly: true }).toArray();
      return infos.filter((info) => !info.name.startsWith('system.')).map((info) => new Collection(this, info.name));
    }
    async renameCollection(from, to, options) { return new Collection(this, from).rename(to, options); }
    async command(body, options) {
      return command(this.databaseName, body, options, new Error(), `command ${Object.keys(body || {})[0]}`, true);
    }
    aggregate(pipeline, options) { return new AggregationCursor(this, 1, pipeline, options); }
    admin() { return new Admin(this.client); }
    async dropDatabase(options) {
      await command(this.databaseName, { dropDatabase: 1 }, options, new Error(), 'dropDatabase', true);
      return true;
    }
    async stats(options) { return this.command({ dbStats: 1 }, options); }
    async createIndex(name, spec, options) { return new Collection(this, name).createIndex(spec, options); }
    async indexInformation(name, options) { return new Collection(this, name).indexInformation(options); }
  }

  class Admin {
    constructor(client) { this._client = client; }
    async command(body, options) {
      return command('admin', body, options, new Error(), `command ${Object.keys(body || {})[0]}`, true);
    }
    async ping(options) { return this.command({ ping: 1 }, options); }
    async buildInfo(options) { return this.command({ buildInfo: 1 }, options); }
    async serverInfo(options) { return this.command({ buildInfo: 1 }, options); }
    async serverStatus(options) { return this.command({ serverStatus: 1 }, options); }
    async listDatabases(options) { return this.command({ listDatabases: 1, ...(options && options.nameOnly ? { nameOnly: true } : {}) }, options); }
  }

  // ---- sessions ----
  class ClientSession {
    constructor(client, options) {
      this.client = client;
      this._id = native.startSession();
      this._inTransaction = false;
      this._starting = null;
      this.hasEnded = false;
      this.defaultTransactionOptions = (options && options.defaultTransactionOptions) || {};
    }
    get id() { return { id: this._id }; }
    _use() {
      if (this.hasEnded) throw new MongoExpiredSessionError('Cannot use a session that has ended');
      return this._id;
    }
    async _ready() {
      if (this._starting) {
        const started = this._starting;
        this._starting = null;
        const reply = await started;
        if (reply && reply.__error === true) throw failure(reply);
      }
    }
    inTransaction() { return this._inTransaction; }
    startTransaction(options) {
      if (this._inTransaction) throw new MongoTransactionError('Transaction already in progress');
      this._inTransaction = true;
      this._starting = native.transaction(this._use(), 'start', { ...this.defaultTransactionOptions, ...(options || {}) });
    }
    async _finish(action) {
      await this._ready();
      if (!this._inTransaction) throw new MongoTransactionError('No transaction started');
      const reply = await native.transaction(this._use(), action, {});
      if (action === 'abort' || !(reply && reply.__error === true && reply.errorLabels && reply.errorLabels.includes('UnknownTransactionCommitResult'))) {
        this._inTransaction = false;
      }
      if (reply && reply.__error === true) throw failure(reply, new Error());
    }
    async commitTransaction() { return this._finish('commit'); }
    async abortTransaction() { return this._finish('abort'); }
    async withTransaction(fn, options) {
      const started = Date.now();
      for (;;) {
        this.startTransaction(options);
        let result;
        try {
          result = await fn(this);
        } catch (error) {
          if (this._inTransaction) await this.abortTransaction().catch(() => {});
          if (error instanceof MongoError && error.hasErrorLabel('TransientTransactionError') && Date.now() - started < 120000) continue;
          throw error;
        }
        if (!this._inTransaction) return result; // the callback committed or aborted itself
        for (;;) {
          try {
            await this.commitTransaction();
            return result;
          } catch (error) {
            const retryCommit = error instanceof MongoError && error.hasErrorLabel('UnknownTransactionCommitResult') &&
              error.code !== 50 && Date.now() - started < 120000;
            if (retryCommit) continue;
            if (error instanceof MongoError && error.hasErrorLabel('TransientTransactionError') && Date.now() - started < 120000) break;
            throw error;
          }
        }
      }
    }
    async endSession() {
      if (this.hasEnded) return;
      if (this._inTransaction) await this.abortTransaction().catch(() => {});
      native.endSession(this._id);
      this.hasEnded = true;
    }
  }

  class MongoClient {
    // Whatever URL the migration's own code gives (a project's connection module doing
    // `new MongoClient(process.env.MONGODB_URI)`), it gets the migration's connection and database:
    // mongrate migrates the target it was given, not the one the code names.
    constructor() { this._defaultDatabase = native.databaseName; }
    static async connect() { return new MongoClient(); }
    db(name) { return new Db(this, name === undefined ? this._defaultDatabase : name); }
    startSession(options) { return new ClientSession(this, options); }
    async withSession(options, fn) {
      if (typeof options === 'function') { fn = options; options = undefined; }
      const session = this.startSession(options);
      try {
        return await fn(session);
      } finally {
        await session.endSession();
      }
    }
    async connect() { return this; }
    async close() {}
  }

  // A batch loop's reader: the documents of `filter` in `_id` order through one cursor (the
  // server sorts once, and the next batch is read while the loop works on this one), `size` at a
  // time, each with its fingerprint when asked (what a stopped batch had written shows as a
  // change). `size` null: everything in one page.
  function pageReader(collection, filter, size, projection, fingerprints) {
    const trace = new Error();
    let id = null;
    let done = false;
    const take = size || 1000;
    return {
      async next() {
        if (done) return { documents: [], fingerprints: [], last: true };
        if (id === null) {
          const body = { find: collection.collectionName, filter, sort: { _id: 1 }, batchSize: take };
          if (projection) body.projection = projection;
          const opened = await native.openCursor(collection.dbName, body, native.ambientSession);
          if (opened && opened.__error === true) throw failure(opened, trace);
          id = opened;
        }
        let documents = [];
        let prints = [];
        for (;;) {
          const batch = await native.nextBatch(id, take - (size ? documents.length : 0), !!fingerprints);
          if (batch && batch.__error === true) throw failure(batch, trace);
          documents = documents.length ? documents.concat(batch.documents) : batch.documents;
          if (fingerprints) prints = prints.length ? prints.concat(batch.fingerprints) : batch.fingerprints;
          if (batch.done) {
            done = true;
            break;
          }
          if (size && documents.length >= size) break;
        }
        return { documents, fingerprints: prints, last: done };
      },
      close() {
        if (id !== null && !done) native.closeCursor(id);
        done = true;
      },
    };
  }

  M.driver = {
    failure, pageReader, MongoClient, Db, Collection, FindCursor, AggregationCursor, ClientSession, BulkWriteResult,
    MongoError, MongoServerError, MongoBulkWriteError, MongoNetworkError, MongoDriverError, MongoAPIError,
    MongoInvalidArgumentError, MongoRuntimeError, MongoCursorInUseError, MongoTransactionError, MongoExpiredSessionError,
  };
})(globalThis.__mongrate);
