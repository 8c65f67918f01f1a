// Timers (`setTimeout`, `setInterval`, `setImmediate`) on the engine's event loop: a migration
// can await them. Once its up() or down() has settled, the timers still waiting are cleared, as
// migrate-mongo's exit after a run discards them (the timeout of a `Promise.race` that the other
// side won must not hold the step, nor fail it later).
(function (M) {
  'use strict';
  const native = M.native;
  const live = new Map();
  let nextId = 1;
  let nextWait = 1;

  class Timeout {
    constructor(fn, ms, args, repeat, immediate) {
      if (typeof fn !== 'function') {
        const error = new TypeError(`The "callback" argument must be of type function. Received ${typeof fn}`);
        error.code = 'ERR_INVALID_ARG_TYPE';
        throw error;
      }
      const delay = Number(ms);
      this._id = nextId++;
      this._fn = fn;
      this._args = args;
      this._ms = immediate ? 0 : delay >= 1 && delay <= 2147483647 ? delay : 1;
      this._repeat = repeat;
      this._ref = true;
      this._cleared = false;
      this._wait = 0;
      live.set(this._id, this);
      this._schedule();
    }
    _schedule() {
      const wait = nextWait++;
      this._wait = wait;
      native.timer(wait, this._ms).then((fired) => {
        if (!fired || this._cleared || this._wait !== wait) return;
        if (!this._repeat) live.delete(this._id);
        else this._schedule();
        this._fn(...this._args);
      });
    }
    _clear() {
      this._cleared = true;
      live.delete(this._id);
      native.cancelTimer(this._wait);
    }
    ref() { this._ref = true; return this; }
    unref() { this._ref = false; return this; }
    hasRef() { return this._ref; }
    refresh() {
      if (!this._cleared) { native.cancelTimer(this._wait); this._schedule(); }
      return this;
    }
    close() { this._clear(); return this; }
    [Symbol.toPrimitive]() { return this._id; }
  }

  function clear(timer) {
    if (timer instanceof Timeout) timer._clear();
    else if (typeof timer === 'number' || typeof timer === 'string') {
      const found = live.get(Number(timer));
      if (found) found._clear();
    }
  }

  globalThis.setTimeout = (fn, ms, ...args) => new Timeout(fn, ms, args, false);
  globalThis.setInterval = (fn, ms, ...args) => new Timeout(fn, ms, args, true);
  globalThis.setImmediate = (fn, ...args) => new Timeout(fn, 0, args, false, true);
  // `util.promisify(setTimeout)(ms, value)`, as in Node.
  const promisified = Symbol.for('nodejs.util.promisify.custom');
  globalThis.setTimeout[promisified] = (ms, value) => new Promise((resolve) => globalThis.setTimeout(resolve, ms, value));
  globalThis.setImmediate[promisified] = (value) => new Promise((resolve) => globalThis.setImmediate(resolve, value));
  globalThis.clearTimeout = clear;
  globalThis.clearInterval = clear;
  globalThis.clearImmediate = clear;

  M.endTimers = () => {
    for (const timer of [...live.values()]) timer._clear();
  };
  M.Timeout = Timeout;
})(globalThis.__mongrate);
