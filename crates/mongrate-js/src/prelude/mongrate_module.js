// The `mongrate` module a migration requires: `eachBatch` (a collection in `_id` order, a batch at
// a time, throttled), seed 003's `MigrationHelper` and `MigrationBase`, and Mongoose-style models.
(function (M) {
  'use strict';
  const native = M.native;
  const sleep = (ms) => (ms > 0 ? native.sleep(ms) : Promise.resolve());

  // The database of the migration that runs now (set by `M.run`).
  const currentDb = () => {
    if (!M.currentDb) throw new Error("require('mongrate') helpers work inside a migration's up or down");
    return M.currentDb;
  };

  // A collection object, a collection name, or a Mongoose-style model with a `.collection`.
  function collectionOf(target) {
    if (typeof target === 'string') return currentDb().collection(target);
    if (target && target.collection && typeof target.collection === 'object' && target.collection.collectionName) {
      return target.collection;
    }
    if (target && typeof target.collectionName === 'string' && typeof target.find === 'function') return target;
    throw new TypeError('expected a collection, a collection name or a model with a .collection, got ' +
      (target === null ? 'null' : typeof target));
  }

  function positiveInteger(value, name, fallback) {
    if (value === undefined || value === null) return fallback;
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive whole number, got ${value}`);
    return value;
  }

  function nonNegative(value, name) {
    if (value === undefined || value === null) return 0;
    if (typeof value !== 'number' || !(value >= 0)) throw new TypeError(`${name} must be a number of 0 or more, got ${value}`);
    return value;
  }

  // `_id` must come back: it is where the next batch starts.
  function withId(projection) {
    if (!projection) return undefined;
    const values = Object.entries(projection).filter(([key]) => key !== '_id').map(([, v]) => v);
    const inclusion = values.some((v) => v === 1 || v === true);
    const result = { ...projection };
    if (inclusion) result._id = 1; else delete result._id;
    return result;
  }

  // A projection of fields only (`{ a: 1, 'b.c': 1 }` or `{ a: 0 }`), which `applyProjection` does.
  function isPlainProjection(projection) {
    return Object.entries(projection).every(([key, value]) => !key.includes('$') &&
      (value === 0 || value === 1 || value === true || value === false));
  }

  // What the server's projection would return of `doc`.
  function applyProjection(doc, projection) {
    const fields = Object.entries(projection).filter(([key]) => key !== '_id');
    const inclusion = fields.some(([, v]) => v === 1 || v === true);
    const paths = fields.map(([key]) => key.split('.'));
    const keepId = projection._id === undefined ? true : !!projection._id;
    const plain = (value) => value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
    // `{ head: … }` holding what `path` selects of `value` (arrays: of each element).
    const pick = (value, path) => {
      if (Array.isArray(value)) return value.map((item) => pick(item, path)).filter((item) => item !== undefined);
      if (!plain(value)) return undefined;
      const [head, ...rest] = path;
      if (!(head in value)) return undefined;
      if (rest.length === 0) return { [head]: value[head] };
      const inner = pick(value[head], rest);
      return inner === undefined ? undefined : { [head]: inner };
    };
    const merge = (into, part) => {
      for (const [key, value] of Object.entries(part)) {
        if (into[key] && typeof into[key] === 'object' && value && typeof value === 'object' && !Array.isArray(value)) merge(into[key], value);
        else into[key] = value;
      }
      return into;
    };
    const drop = (value, path) => {
      if (value === null || typeof value !== 'object') return;
      if (Array.isArray(value)) { value.forEach((item) => drop(item, path)); return; }
      const [head, ...rest] = path;
      if (rest.length === 0) delete value[head];
      else drop(value[head], rest);
    };
    let result;
    if (inclusion) {
      result = {};
      for (const path of paths) {
        const part = pick(doc, path);
        if (part !== undefined) merge(result, part);
      }
      if (keepId && doc._id !== undefined) result = { _id: doc._id, ...result };
    } else {
      result = copy(doc);
      for (const path of paths) drop(result, path);
      if (!keepId) delete result._id;
    }
    return keepHints(doc, result);
  }

  // Holds a loop to `maxPerSecond` documents a second and pauses `pauseMs` between batches.
  // The run's `--max-per-second` caps every loop, below what the file asks for.
  function throttle(options) {
    const pauseMs = nonNegative(options.pauseMs, 'pauseMs');
    const asked = options.maxPerSecond === undefined || options.maxPerSecond === null
      ? null : positiveInteger(options.maxPerSecond, 'maxPerSecond');
    const cap = typeof native.maxPerSecond === 'number' ? native.maxPerSecond : null;
    const maxPerSecond = asked === null ? cap : cap === null ? asked : Math.min(asked, cap);
    const started = Date.now();
    return async (processed) => {
      let wait = pauseMs;
      if (maxPerSecond !== null) wait = Math.max(wait, (processed * 1000) / maxPerSecond - (Date.now() - started));
      await sleep(Math.ceil(wait));
    };
  }

  // ---- resumable loops ----
  // The migration's batch loops in call order: a resumed run calls them in the same order, and
  // loop n takes over loop n's checkpoint (stored by the host, see `checkpoint.rs`).
  let loopCount = 0;

  const TOTALS = ['processed', 'matched', 'modified', 'inserted', 'deleted', 'upserted', 'batches'];
  const totalsOf = (stored) => Object.fromEntries(TOTALS.map((key) => [key, Number((stored && stored[key]) || 0)]));

  // The loop's estimated size, for progress: the collection's count when it walks everything.
  async function estimate(collection, filter) {
    try {
      return Object.keys(filter).length === 0 ? await collection.estimatedDocumentCount() : await collection.countDocuments(filter);
    } catch (error) {
      return null;
    }
  }

  // One loop's bookkeeping: its stored state, saving it, reporting progress.
  function loopOf(label, stored) {
    const started = Date.now();
    const index = loopCount++;
    const resumedFrom = stored ? Number(stored.processed || 0) : 0;
    return {
      index,
      label,
      totals: totalsOf(stored),
      total: stored && stored.total !== undefined ? stored.total : null,
      // Documents this run (the throttle's count: resumed work took no time now).
      processedNow() { return this.totals.processed - resumedFrom; },
      async save(extra, session) {
        if (!native.checkpointed) return;
        const state = { ...this.totals, total: this.total, ...extra };
        const saved = await native.saveCheckpoint(index, state, session || 0);
        if (saved && saved.__error === true) throw new Error(saved.message);
      },
      report(done) {
        native.progress({
          index, label, processed: this.totals.processed, total: this.total, done,
          processedNow: this.processedNow(), elapsedMs: Date.now() - started,
        });
      },
    };
  }

  function checkOperations(operations) {
    if (operations === undefined || operations === null) return [];
    if (!Array.isArray(operations)) throw new TypeError('the eachBatch callback must return an array of bulkWrite operations (or nothing)');
    return operations;
  }

  function addResult(totals, result) {
    totals.matched += result.matchedCount;
    totals.modified += result.modifiedCount;
    totals.inserted += result.insertedCount;
    totals.deleted += result.deletedCount;
    totals.upserted += result.upsertedCount;
  }

  // Writes one batch and advances the checkpoint past `end`, so that a batch is written once:
  // on a server with transactions, the writes and the checkpoint commit together; without, the
  // checkpoint first names the batch as pending with each document's fingerprint, and a resumed
  // run re-reads it and processes only the documents still as they were (`settlePending`).
  // Returns once the write is under way (without transactions: once the batch is named pending)
  // as `{ end, ids, prints, written }`; `written` resolves when the batch is written, to the
  // function that counts it in the loop's totals (the caller counts batches in `_id` order).
  // `earlier`: batches still being written (concurrency above 1): the pending record names their
  // documents too, and a transaction waits for theirs, so the checkpoint moves in `_id` order.
  // Batches written side by side share FerretDB's budget of statements in flight (its pool of
  // 100 connections a database, one per statement until the command ends: two commands of 50
  // and a cursor waited for each other for ever), so each sends commands of its share.
  async function writeBatch(loop, collection, operations, docs, prints, from, end, earlier = [], concurrency = 1) {
    const count = docs.length;
    const ids = docs.map((doc) => doc._id);
    const started = (written) => {
      written.catch(() => {}); // awaited by the caller, in order; not an unhandled rejection meanwhile
      return { end, ids, prints, written };
    };
    if (native.checkpointed && native.transactions) {
      return started(Promise.all(earlier.map((batch) => batch.written)).then(async () => {
        const session = M.currentClient.startSession();
        try {
          await session.withTransaction(async () => {
            const totals = { ...loop.totals };
            if (operations.length) addResult(totals, await collection.bulkWrite(operations, { ordered: true, session }));
            totals.processed += count;
            totals.batches += 1;
            await session._ready();
            const saved = await native.saveCheckpoint(loop.index, { ...totals, total: loop.total, lastId: end }, session._use());
            // As the driver's error: a write conflict is retried by withTransaction.
            if (saved && saved.__error === true) throw M.driver.failure(saved);
            loop.totals = totals;
          });
        } finally {
          await session.endSession();
        }
        return () => {};
      }));
    }
    if (native.checkpointed) {
      const pending = {
        lastId: end,
        ids: earlier.flatMap((batch) => batch.ids).concat(ids),
        fingerprints: earlier.flatMap((batch) => batch.prints).concat(prints),
      };
      await loop.save({ ...(from === undefined ? {} : { lastId: from }), pending });
    }
    const share = concurrency === 1 ? operations.length : Math.max(1, Math.floor(native.maxWritesPerCommand / concurrency));
    const write = (async () => {
      const results = [];
      for (let start = 0; start < operations.length; start += share) {
        const part = share >= operations.length ? operations : operations.slice(start, start + share);
        results.push(await collection.bulkWrite(part, { ordered: true }));
      }
      return results;
    })();
    return started(write.then((results) => () => {
      for (const result of results) addResult(loop.totals, result);
      loop.totals.processed += count;
      loop.totals.batches += 1;
    }));
  }

  // A batch the stopped run was writing: its documents that changed since were written (or
  // deleted) and count as done; the others go through the callback now.
  async function settlePending(loop, collection, filter, stored, callback) {
    const pending = stored.pending;
    const range = { _id: { ...(stored.lastId === undefined ? {} : { $gt: stored.lastId }), $lte: pending.lastId } };
    const before = new Map();
    pending.ids.forEach((id, i) => before.set(idKey(id), pending.fingerprints[i]));
    const page = await M.driver.pageReader(collection, { $and: [filter, range] }, null, undefined, true).next();
    const todo = [];
    page.documents.forEach((doc, i) => {
      const was = before.get(idKey(doc._id));
      if (was === undefined || was === page.fingerprints[i]) todo.push(doc);
    });
    const redo = new Set(todo.map((doc) => idKey(doc._id)));
    const done = { ids: [], prints: [] };
    pending.ids.forEach((id, i) => {
      if (!redo.has(idKey(id))) {
        done.ids.push(id);
        done.prints.push(pending.fingerprints[i]);
      }
    });
    const written = done.ids.length;
    native.log('info', `${loop.label}: resuming a batch the stopped run was writing: ${written} of its ` +
      `${pending.ids.length} documents were written, ${todo.length} go through the callback now`);
    loop.totals.processed += written;
    loop.totals.modified += written;
    // The stored pending batch stays until this is written: cut short again, the documents
    // written now have changed too and are skipped then.
    const operations = todo.length ? checkOperations(await callback(todo)) : [];
    if (operations.length) addResult(loop.totals, await collection.bulkWrite(operations, { ordered: true }));
    loop.totals.processed += todo.length;
    loop.totals.batches += 1;
    await loop.save({ lastId: pending.lastId });
    return pending.lastId;
  }

  // A stable key for an `_id` of any BSON type.
  function idKey(id) {
    if (id === null || id === undefined) return String(id);
    if (typeof id === 'object') {
      if (typeof id.toHexString === 'function') return `oid:${id.toHexString()}`;
      if (id instanceof Date) return `date:${id.getTime()}`;
      return `json:${JSON.stringify(id)}`;
    }
    return `${typeof id}:${String(id)}`;
  }

  // Reads the matching documents in `_id` order, `batchSize` at a time; runs the bulk operations
  // the callback returns (the driver's bulkWrite models) on the same collection, and checkpoints
  // after each batch so that a stopped run resumes after the last batch written. `concurrency`
  // (1): how many batches' writes may be in flight; at 2 the next batch is read, given to the
  // callback and its write started while the previous one's write runs.
  async function eachBatch(target, options, callback) {
    if (typeof options === 'function') [options, callback] = [{}, options];
    options = options || {};
    if (typeof callback !== 'function') throw new TypeError('eachBatch(collection, options, callback): the callback is missing');
    if (native.ambientSession !== 0) {
      throw new Error('eachBatch cannot run inside the migration\'s transaction (transaction: true): a transaction ' +
        'cannot hold a long batch loop; remove `transaction: true` from this migration');
    }
    const collection = collectionOf(target);
    const filter = options.filter || {};
    const batchSize = positiveInteger(options.batchSize, 'batchSize', 1000);
    const concurrency = positiveInteger(options.concurrency, 'concurrency', 1);
    // Without transactions a batch's documents are fingerprinted whole, so they are read whole
    // and a plain projection is applied here (one with operators is left to the server).
    const fingerprinted = native.checkpointed && !native.transactions;
    let projection = withId(options.projection);
    let project = (docs) => docs;
    if (fingerprinted && projection && isPlainProjection(projection)) {
      const plain = projection;
      project = (docs) => docs.map((doc) => applyProjection(doc, plain));
      projection = undefined;
    }
    const pace = throttle(options);
    if (native.dryRun) return previewBatches(collection, filter, batchSize, projection, options, callback);
    const stored = native.checkpointed ? native.checkpointState(loopCount) : undefined;
    const helper = options[PREVIEW] && options[PREVIEW].label;
    const loop = loopOf(options.label || helper || `eachBatch ${collection.collectionName}`, stored);
    if (stored && stored.done) {
      loop.report(true);
      return loop.totals;
    }
    if (loop.total === null) loop.total = await estimate(collection, filter);
    // From here on a stopped run is resumed, not refused.
    if (!stored) await loop.save({});
    let lastId = stored ? stored.lastId : undefined;
    if (stored && stored.pending) {
      lastId = await settlePending(loop, collection, filter, stored, (docs) => callback(project(docs)));
      loop.report(false);
    }
    const reader = M.driver.pageReader(collection, lastId === undefined ? filter : { $and: [filter, { _id: { $gt: lastId } }] },
      batchSize, projection, fingerprinted);
    const nothing = { documents: [], fingerprints: [], last: true };
    // Batches whose write started, oldest first. One is counted, and `lastId` moves past it, once
    // it and every batch before it are written.
    const inFlight = [];
    const finishOldest = async () => {
      const batch = inFlight.shift();
      (await batch.written)();
      lastId = batch.end;
      if (inFlight.length > 0) loop.report(false);
    };
    try {
      let read = await reader.next();
      while (read.documents.length > 0) {
        if (native.leaseLost()) throw new Error('the migration lock was lost; the loop stopped before its next batch');
        const docs = read.documents;
        const end = docs[docs.length - 1]._id;
        const operations = checkOperations(await callback(project(docs)));
        inFlight.push(await writeBatch(loop, collection, operations, docs, read.fingerprints, lastId, end, inFlight, concurrency));
        while (inFlight.length >= concurrency) await finishOldest();
        // The next batch is known before this one is reported: the last one reports as done.
        read = read.last || docs.length < batchSize ? nothing : await reader.next();
        if (read.documents.length === 0) break;
        if (inFlight.length === 0) loop.report(false);
        // The next batch starts no sooner than its documents are allowed to.
        await pace(loop.processedNow() + read.documents.length);
      }
      while (inFlight.length > 0) await finishOldest();
    } catch (error) {
      // The writes under way end before the loop fails: nothing of it runs after the migration.
      await Promise.allSettled(inFlight.map((batch) => batch.written));
      throw error;
    } finally {
      reader.close();
    }
    await loop.save({ ...(lastId === undefined ? {} : { lastId }), done: true });
    loop.report(true);
    return loop.totals;
  }

  // ---- dry-run of a batch loop ----
  // A dry-run reports each loop as one line: the documents its filter matches (counted, not
  // walked: a dry-run of a 10M-document collection must not read them), what its callback does
  // with the first batch, and for transformData two documents before and after. The loop's own
  // writes are not sent and make no lines of their own.

  // `options[PREVIEW]`, from the helpers: `{ label, samples, describe(read, writes) }`.
  const PREVIEW = Symbol('dry-run preview');
  const SAMPLES = 2;
  // Documents a dry-run reads at most while looking for samples of what a transform changes.
  const SAMPLE_SCAN = 10000;

  const plural = (n, word, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

  function countOf(collection, filter) {
    return Object.keys(filter).length === 0 ? collection.estimatedDocumentCount() : collection.countDocuments(filter);
  }

  // eachBatch in a dry-run: counts, then runs the callback on the first batch (on more only
  // while a helper still looks for samples); the operations it returns are not sent.
  async function previewBatches(collection, filter, batchSize, projection, options, callback) {
    const trace = new Error();
    const preview = options[PREVIEW] || {};
    const total = await countOf(collection, filter);
    const reader = M.driver.pageReader(collection, filter, batchSize, projection, false);
    let read = 0;
    let writes = 0;
    try {
      for (;;) {
        const page = await reader.next();
        if (page.documents.length === 0) break;
        read += page.documents.length;
        writes += checkOperations(await callback(page.documents)).length;
        const looking = preview.samples && preview.samples.length < SAMPLES && read < SAMPLE_SCAN;
        if (!looking || page.last || page.documents.length < batchSize) break;
      }
    } finally {
      reader.close();
    }
    const batches = Math.ceil(total / batchSize);
    const did = read === 0 ? 'no document to process'
      : preview.describe ? preview.describe(read, writes)
        : `the callback ran on the first ${plural(read, 'document')} only and returned ${plural(writes, 'write')} for them (not sent)`;
    native.dryRunLoop({
      stack: trace.stack,
      summary: options.label || preview.label || `eachBatch ${collection.collectionName}`,
      affected: total,
      note: `${plural(batches, 'batch', 'batches')} of ${batchSize}; ${did}`,
      samples: preview.samples,
    });
    return { ...totalsOf(undefined), processed: total, batches };
  }

  // updateInRanges in a dry-run: the documents the update would change, counted.
  async function previewUpdate(collection, filter, update, label) {
    const trace = new Error();
    const total = await countOf(collection, filter);
    native.dryRunLoop({
      stack: trace.stack,
      summary: `${label} ${collection.collectionName}`,
      affected: total,
      note: `update ${JSON.stringify(update)}, one _id range at a time`,
    });
    return { matched: total, modified: total };
  }

  // removeDuplicates in a dry-run: groups and documents counted on the server (a server that
  // cannot group so has the grouping fields walked).
  async function previewDuplicates(collection, fields, keep) {
    const trace = new Error();
    let groups = 0;
    let documents = 0;
    try {
      const key = Object.fromEntries(fields.map((field, i) => [`k${i}`, `$${field}`]));
      // (FerretDB sums nothing in a $group right after a $match: the $project between fixes it.)
      const [found] = await collection.aggregate([
        { $group: { _id: key, n: { $sum: 1 } } },
        { $match: { n: { $gt: 1 } } },
        { $project: { _id: 0, n: 1 } },
        { $group: { _id: null, groups: { $sum: 1 }, documents: { $sum: '$n' } } },
      ], { allowDiskUse: true }).toArray();
      groups = Number((found && found.groups) || 0);
      documents = Number((found && found.documents) || 0);
      if (documents < 2 * groups) throw new Error('the server counted the groups wrong');
    } catch (error) {
      [groups, documents] = [0, 0];
      for await (const group of duplicateGroups(collection, fields)) {
        groups += 1;
        documents += group.length;
      }
    }
    const removed = documents - groups;
    native.dryRunLoop({
      stack: trace.stack,
      summary: `removeDuplicates ${collection.collectionName}`,
      affected: removed,
      note: `${plural(groups, 'group')} of documents sharing ${fields.join(', ')}: would delete ${plural(removed, 'document')}, ` +
        `keeping the ${keep} of each`,
    });
    return { groups, removed };
  }

  // `_id` boundaries splitting the matching documents into ranges of `size`: only `_id`s travel.
  async function* idRanges(collection, filter, size, from) {
    for (;;) {
      const after = from === undefined ? filter : { $and: [filter, { _id: { $gt: from } }] };
      const [edge] = await collection.find(after, { sort: { _id: 1 }, skip: size - 1, limit: 1, projection: { _id: 1 } }).toArray();
      const range = { ...(from === undefined ? {} : { $gt: from }), ...(edge ? { $lte: edge._id } : {}) };
      yield { filter: Object.keys(range).length === 0 ? filter : { $and: [filter, { _id: range }] }, end: edge ? edge._id : undefined };
      if (!edge) return;
      from = edge._id;
    }
  }

  // An update run on the server, one `_id` range at a time (never pulling documents). The
  // callers' filters exclude what the update already did, so running a range again after a
  // stop changes nothing twice: the checkpoint only saves going over it again.
  async function updateInRanges(target, filter, update, options, label) {
    options = options || {};
    const collection = collectionOf(target);
    const size = positiveInteger(options.batchSize, 'batchSize', 1000);
    const pace = throttle(options);
    if (native.dryRun) return previewUpdate(collection, filter, update, label);
    const stored = native.checkpointed ? native.checkpointState(loopCount) : undefined;
    const loop = loopOf(`${label} ${collection.collectionName}`, stored);
    if (stored && stored.done) {
      loop.report(true);
      return { matched: loop.totals.matched, modified: loop.totals.modified };
    }
    if (loop.total === null) loop.total = await estimate(collection, filter);
    if (!stored) await loop.save({});
    for await (const range of idRanges(collection, filter, size, stored ? stored.lastId : undefined)) {
      if (native.leaseLost()) throw new Error('the migration lock was lost; the loop stopped before its next range');
      const result = await collection.updateMany(range.filter, update);
      loop.totals.matched += result.matchedCount;
      loop.totals.modified += result.modifiedCount;
      loop.totals.processed += result.matchedCount;
      loop.totals.batches += 1;
      if (range.end === undefined) break;
      await loop.save({ lastId: range.end });
      loop.report(false);
      await pace(loop.processedNow());
    }
    await loop.save({ done: true });
    loop.report(true);
    return { matched: loop.totals.matched, modified: loop.totals.modified };
  }

  function fieldName(value, what) {
    if (typeof value !== 'string' || value === '' || value.startsWith('$')) {
      throw new TypeError(`${what} must be a field name (a non-empty string not starting with $), got ${JSON.stringify(value)}`);
    }
    return value;
  }

  const same = (a, b) => {
    if (a === b) return true;
    if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
    if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
    if (typeof a.equals === 'function') return a.equals(b);
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  };

  // The `$set`/`$unset` that turn `before` into `after` (top-level fields), or null when equal.
  function difference(before, after) {
    const $set = {};
    const $unset = {};
    for (const [key, value] of Object.entries(after)) {
      if (key !== '_id' && !same(before[key], value)) $set[key] = typedValue(after, key, value);
    }
    for (const key of Object.keys(before)) if (!(key in after) && key !== '_id') $unset[key] = '';
    const update = {};
    if (Object.keys($set).length) update.$set = $set;
    if (Object.keys($unset).length) update.$unset = $unset;
    return Object.keys(update).length ? update : null;
  }

  // A read document's hidden note of which numbers were Int64 (`l`) or Double (`d`): the engine
  // writes a document back with those types, and a copy or a single value must keep them too.
  const HINTS = '__bsontypes';

  function keepHints(from, to) {
    if (from[HINTS]) Object.defineProperty(to, HINTS, { value: { ...from[HINTS] }, enumerable: false });
    return to;
  }

  // `owner[key]` as the BSON type it was read as (a number alone would be written as Int32).
  function typedValue(owner, key, value) {
    if (typeof value !== 'number' || !owner || !owner[HINTS]) return value;
    const hint = owner[HINTS][key];
    if (hint === 'l') return M.bson.Long.fromNumber(value);
    if (hint === 'd') return new M.bson.Double(value);
    return value;
  }

  // A deep copy the transform may change freely (BSON values are immutable and kept as they are).
  function copy(value) {
    if (Array.isArray(value)) return keepHints(value, value.map(copy));
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return keepHints(value, Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])));
    }
    if (value instanceof Date) return new Date(value.getTime());
    return value;
  }

  const keyOf = (doc, fields) => fields.map((f) => doc[f]);

  // Groups of documents sharing `fields`, streamed in key order (memory: one group).
  async function* duplicateGroups(collection, fields) {
    const sort = Object.fromEntries([...fields.map((f) => [f, 1]), ['_id', 1]]);
    const projection = Object.fromEntries(fields.map((f) => [f, 1]));
    let group = [];
    for await (const doc of collection.find({}, { sort, projection })) {
      if (group.length && !same(keyOf(group[0], fields), keyOf(doc, fields))) {
        if (group.length > 1) yield group;
        group = [];
      }
      group.push(doc);
    }
    if (group.length > 1) yield group;
  }

  const fieldsOf = (field) => (Array.isArray(field) ? field : [field]).map((f) => fieldName(f, 'field'));

  const MigrationHelper = {
    async addField(target, field, defaultValue = null, options) {
      fieldName(field, 'field');
      const filter = { ...((options && options.filter) || {}), [field]: { $exists: false } };
      return updateInRanges(target, filter, { $set: { [field]: defaultValue } }, options, 'addField');
    },
    async removeField(target, field, options) {
      fieldName(field, 'field');
      const filter = { ...((options && options.filter) || {}), [field]: { $exists: true } };
      return updateInRanges(target, filter, { $unset: { [field]: '' } }, options, 'removeField');
    },
    async renameField(target, from, to, options) {
      fieldName(from, 'from');
      fieldName(to, 'to');
      const filter = { ...((options && options.filter) || {}), [from]: { $exists: true } };
      return updateInRanges(target, filter, { $rename: { [from]: to } }, options, 'renameField');
    },
    // Runs client-side in batches: servers without update pipelines (FerretDB) cannot copy a
    // field in an update.
    async copyField(target, source, destination, options) {
      fieldName(source, 'source');
      fieldName(destination, 'target');
      const filter = { ...((options && options.filter) || {}), [source]: { $exists: true } };
      const projection = { [source]: 1, [destination]: 1 };
      const preview = {
        label: `copyField ${collectionOf(target).collectionName}`,
        describe: (read, writes) => `copies ${source} to ${destination}: ${writes} of the first ${read} need it`,
      };
      const totals = await eachBatch(target, { ...options, filter, projection, [PREVIEW]: preview }, (docs) => docs
        .filter((doc) => !same(doc[source], doc[destination]))
        .map((doc) => ({ updateOne: { filter: { _id: doc._id }, update: { $set: { [destination]: typedValue(doc, source, doc[source]) } } } })));
      return { matched: totals.processed, modified: totals.modified };
    },
    // `fn(document)` returns the document changed (only the changed fields are written) or null.
    async transformData(target, filter, fn, options) {
      if (typeof fn !== 'function') throw new TypeError('transformData(collection, filter, fn): fn is missing');
      // A dry-run keeps the first documents the transform changes, as they are and as it returns them.
      const samples = native.dryRun ? [] : undefined;
      const preview = {
        label: `transformData ${collectionOf(target).collectionName}`,
        samples,
        describe: (read, writes) => `the transform ran on the first ${plural(read, 'document')}: it changes ${writes} of them`,
      };
      const totals = await eachBatch(target, { ...options, filter: filter || {}, [PREVIEW]: preview }, async (docs) => {
        const operations = [];
        for (const doc of docs) {
          const after = await fn(copy(doc));
          if (after === null || after === undefined) continue;
          const update = difference(doc, after);
          if (update) operations.push({ updateOne: { filter: { _id: doc._id }, update } });
          if (update && samples && samples.length < SAMPLES) samples.push({ before: doc, after });
        }
        return operations;
      });
      return { matched: totals.processed, modified: totals.modified };
    },
    // `updates`: bulkWrite models, or `{ filter, update }` pairs (each an updateMany).
    async bulkUpdate(target, updates, options) {
      if (!Array.isArray(updates)) throw new TypeError('bulkUpdate(collection, updates): updates must be an array');
      const collection = collectionOf(target);
      const size = positiveInteger(options && options.batchSize, 'batchSize', 1000);
      const models = updates.map((u) => (u && u.filter && u.update ? { updateMany: { filter: u.filter, update: u.update } } : u));
      const totals = { matched: 0, modified: 0 };
      for (let i = 0; i < models.length; i += size) {
        const result = await collection.bulkWrite(models.slice(i, i + size), { ordered: true });
        totals.matched += result.matchedCount;
        totals.modified += result.modifiedCount;
      }
      return totals;
    },
    async removeDuplicates(target, field, options) {
      const collection = collectionOf(target);
      const fields = fieldsOf(field);
      const keep = (options && options.keep) || 'first';
      if (keep !== 'first' && keep !== 'last') throw new TypeError(`keep must be 'first' or 'last', got ${JSON.stringify(keep)}`);
      if (native.dryRun) return previewDuplicates(collection, fields, keep);
      let doomed = [];
      let removed = 0;
      let groups = 0;
      const flush = async () => {
        if (doomed.length) removed += (await collection.deleteMany({ _id: { $in: doomed } })).deletedCount;
        doomed = [];
      };
      for await (const group of duplicateGroups(collection, fields)) {
        groups += 1;
        const ids = group.map((doc) => doc._id);
        doomed.push(...(keep === 'first' ? ids.slice(1) : ids.slice(0, -1)));
        if (doomed.length >= 1000) await flush();
      }
      await flush();
      return { groups, removed };
    },
    // Trims and collapses whitespace in string fields.
    async sanitizeStringFields(target, fields, options) {
      const names = fieldsOf(fields);
      const projection = Object.fromEntries(names.map((f) => [f, 1]));
      const preview = {
        label: `sanitizeStringFields ${collectionOf(target).collectionName}`,
        describe: (read, writes) => `${writes} of the first ${read} have whitespace to clean in ${names.join(', ')}`,
      };
      const totals = await eachBatch(target, { ...options, projection, [PREVIEW]: preview }, (docs) => {
        const operations = [];
        for (const doc of docs) {
          const $set = {};
          for (const name of names) {
            if (typeof doc[name] !== 'string') continue;
            const clean = doc[name].trim().replace(/\s+/g, ' ');
            if (clean !== doc[name]) $set[name] = clean;
          }
          if (Object.keys($set).length) operations.push({ updateOne: { filter: { _id: doc._id }, update: { $set } } });
        }
        return operations;
      });
      return { matched: totals.processed, modified: totals.modified };
    },
    async createIndex(target, spec, options) { return collectionOf(target).createIndex(spec, options); },
    async dropIndex(target, name) { return collectionOf(target).dropIndex(name); },
    // Refuses, naming the duplicates (a few, with their `_id`s), before the index build would.
    async createUniqueConstraint(target, spec, options) {
      const collection = collectionOf(target);
      const fields = Object.keys(spec || {}).map((f) => fieldName(f, 'index field'));
      if (fields.length === 0) throw new TypeError('createUniqueConstraint(collection, { field: 1 }): no field given');
      const found = [];
      let groups = 0;
      for await (const group of duplicateGroups(collection, fields)) {
        groups += 1;
        if (found.length < 5) found.push(`${JSON.stringify(keyOf(group[0], fields))} on _id ${group.map((d) => String(d._id)).join(', ')}`);
      }
      if (groups > 0) {
        throw new Error(`cannot make ${fields.join(', ')} unique on ${collection.collectionName}: ${groups} value(s) are ` +
          `shared by several documents, e.g. ${found.join('; ')}. Remove the duplicates first ` +
          '(MigrationHelper.removeDuplicates) or fix them by hand');
      }
      return collection.createIndex(spec, { ...(options || {}), unique: true });
    },
    // Copies every document of `source` (through `fn`, which may return null to skip) into
    // `target`. A copy with an `_id` is written as a replace-or-insert by `_id`, so a batch cut
    // short and done again writes each document once.
    async migrateCollection(source, target, fn, options) {
      const into = collectionOf(target);
      let inserted = 0;
      let copies = 0;
      const preview = {
        label: `migrateCollection ${collectionOf(source).collectionName}`,
        describe: (read) => `copies them into ${into.collectionName}: ${copies} of the first ${read} would be written (not sent)`,
      };
      const totals = await eachBatch(source, { ...(options || {}), [PREVIEW]: preview }, async (docs) => {
        const out = [];
        for (const doc of docs) {
          const mapped = fn ? await fn(copy(doc)) : doc;
          if (mapped === null || mapped === undefined) continue;
          out.push(mapped._id === undefined
            ? { insertOne: { document: mapped } }
            : { replaceOne: { filter: { _id: mapped._id }, replacement: mapped, upsert: true } });
        }
        copies += out.length;
        if (out.length && !native.dryRun) {
          const result = await into.bulkWrite(out, { ordered: true });
          inserted += result.insertedCount + result.upsertedCount + result.modifiedCount;
        }
        return [];
      });
      return { processed: totals.processed, inserted };
    },
    // Moves documents whose `field` is before `cutoffDate` into `archive` (copied by `_id`, then
    // deleted: a batch cut short and done again archives each document once).
    async archiveOldDocuments(target, archive, cutoffDate, field = 'createdAt', options) {
      fieldName(field, 'field');
      if (!(cutoffDate instanceof Date) || Number.isNaN(cutoffDate.getTime())) throw new TypeError('cutoffDate must be a valid Date');
      const from = collectionOf(target);
      const into = collectionOf(archive);
      const preview = {
        label: `archiveOldDocuments ${from.collectionName}`,
        describe: () => `moves them into ${into.collectionName} (copied by _id, then deleted)`,
      };
      const filter = { [field]: { $lt: cutoffDate } };
      const totals = await eachBatch(from, { ...(options || {}), filter, [PREVIEW]: preview }, async (docs) => {
        if (!native.dryRun) await into.bulkWrite(docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })), { ordered: true });
        return docs.map((doc) => ({ deleteOne: { filter: { _id: doc._id } } }));
      });
      return { archived: totals.deleted };
    },
    async updateReferences(target, field, oldId, newId, options) {
      fieldName(field, 'field');
      return updateInRanges(target, { [field]: oldId }, { $set: { [field]: newId } }, options, 'updateReferences');
    },
    async collectionExists(name) {
      const db = currentDb();
      const found = await db.listCollections({ name: typeof name === 'string' ? name : collectionOf(name).collectionName }, { nameOnly: true }).toArray();
      return found.length > 0;
    },
    async getCollectionStats(target) {
      const collection = collectionOf(target);
      const indexes = await collection.indexes().catch(() => []);
      return { name: collection.collectionName, count: await collection.countDocuments({}), indexes: indexes.length };
    },
  };

  // Mongoose's collection name for a model name: lower case, pluralised as Mongoose does for
  // common English (`User` → `users`, `Patient` → `patients`, `Category` → `categories`).
  const uncountable = new Set(['data', 'information', 'equipment', 'news', 'series', 'species', 'media']);
  const irregular = { person: 'people', child: 'children', man: 'men', woman: 'women', mouse: 'mice', tooth: 'teeth', foot: 'feet' };
  function collectionNameOf(model) {
    const name = String(model).toLowerCase();
    if (uncountable.has(name) || name.endsWith('s')) return name;
    if (irregular[name]) return irregular[name];
    if (/[^aeiou]y$/.test(name)) return `${name.slice(0, -1)}ies`;
    if (/(x|ch|sh|z)$/.test(name)) return `${name}es`;
    return `${name}s`;
  }

  // A Mongoose-style model over a collection: the collection's methods, `.collection`, and a
  // `find` that can be awaited directly.
  function modelOf(db, modelName) {
    const collection = db.collection(collectionNameOf(modelName));
    return new Proxy(collection, {
      get(target, property) {
        if (property === 'collection') return target;
        if (property === 'modelName') return modelName;
        if (property === 'find') {
          return (filter, projection, options) => {
            const cursor = target.find(filter || {}, { ...(options || {}), ...(projection ? { projection } : {}) });
            cursor.then = (resolve, reject) => cursor.toArray().then(resolve, reject);
            cursor.exec = () => cursor.toArray();
            cursor.lean = () => cursor;
            return cursor;
          };
        }
        const value = target[property];
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  class MigrationBase {
    constructor(mongoose) {
      this.mongoose = mongoose || globalThis.mongoose;
      const connection = (this.mongoose && this.mongoose.connection) || {};
      this.db = connection.db;
      this.client = connection.client;
      const models = new Map();
      this.models = new Proxy({}, {
        get: (_, name) => {
          if (typeof name !== 'string' || !this.db) return undefined;
          if (!models.has(name)) models.set(name, modelOf(this.db, name));
          return models.get(name);
        },
      });
      this.version = undefined;
      this.description = undefined;
      this.author = undefined;
    }

    log(message, type = 'info') {
      const level = { error: 'error', warn: 'warn', warning: 'warn', success: 'info', debug: 'debug' }[type] || 'info';
      native.log(level, String(message));
    }

    // Runs `fn` on every item, `batchSize` at a time (the items of a batch concurrently).
    async executeBatch(items, fn, batchSize = 100) {
      const size = positiveInteger(batchSize, 'batchSize', 100);
      const list = Array.from(items || []);
      const results = [];
      for (let i = 0; i < list.length; i += size) {
        results.push(...(await Promise.all(list.slice(i, i + size).map((item, offset) => fn(item, i + offset)))));
      }
      return { processed: list.length, results };
    }

    async collectionExists(name) { return MigrationHelper.collectionExists(name); }
    async getCollectionStats(name) { return MigrationHelper.getCollectionStats(name); }

    // mongrate's own backups (`mongrate backup list` shows them): a copy of the collection with
    // its indexes and options, and its record. A dry-run reports them and writes nothing.
    async backupCollection(name) {
      const trace = new Error();
      return named(backupAnswer(await native.backupCollection(collectionName(name), trace.stack), trace));
    }

    // `restoreFromBackup(original, backup)` (seed 003) puts `backup` back into `original`;
    // `restoreFromBackup(name)` takes a backup's name, or a collection's (its latest backup).
    async restoreFromBackup(original, backup) {
      const trace = new Error();
      if (native.ambientSession !== 0) {
        throw new Error('restoreFromBackup cannot run inside the migration\'s transaction (transaction: true): ' +
          'a failed transaction rolls back by itself');
      }
      const alone = backup === undefined || backup === null;
      const name = alone ? backupNameOf(original) : backupNameOf(backup);
      const into = alone ? null : collectionName(original);
      return backupAnswer(await native.restoreBackup(name, into, trace.stack), trace);
    }

    async dropBackup(backup) {
      const trace = new Error();
      return named(backupAnswer(await native.dropBackup(backupNameOf(backup), trace.stack), trace));
    }
  }

  // ---- backups from a migration ----
  const collectionName = (target) => (typeof target === 'string' ? target : collectionOf(target).collectionName);

  // A backup's name, from the name or what `backupCollection` returned (else a collection's name).
  function backupNameOf(value) {
    if (value && typeof value === 'object' && typeof value.name === 'string' && typeof value.collection === 'string') return value.name;
    return collectionName(value);
  }

  function backupAnswer(answer, trace) {
    if (answer && answer.__error === true) {
      const error = new Error(answer.message);
      error.stack = trace.stack;
      throw error;
    }
    return answer;
  }

  // What `backupCollection` returns reads as the backup's name where a string is expected.
  function named(info) {
    Object.defineProperty(info, 'toString', { value() { return this.name; }, enumerable: false });
    return info;
  }

  M.mongrateModule = Object.freeze({ eachBatch, MigrationHelper, MigrationBase, collectionNameOf, default: undefined });
  M.collectionNameOf = collectionNameOf;
})(globalThis.__mongrate);
