// Node's `timers` and `timers/promises`, over the global timers.
'use strict';

function aborted(signal) {
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  error.code = 'ABORT_ERR';
  error.cause = signal.reason;
  return error;
}

function wait(schedule, value, options) {
  const signal = options && options.signal;
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) { reject(aborted(signal)); return; }
    const timer = schedule(() => resolve(value));
    if (options && options.ref === false) timer.unref();
    if (signal) signal.addEventListener('abort', () => { clearTimeout(timer); reject(aborted(signal)); }, { once: true });
  });
}

const promises = {
  setTimeout: (ms, value, options) => wait((done) => setTimeout(done, ms), value, options),
  setImmediate: (value, options) => wait((done) => setImmediate(done), value, options),
  async *setInterval(ms, value) {
    for (;;) yield await promises.setTimeout(ms, value);
  },
  scheduler: {
    wait: (ms, options) => promises.setTimeout(ms, undefined, options),
    yield: () => promises.setImmediate(),
  },
};

module.exports = {
  setTimeout: (...args) => globalThis.setTimeout(...args),
  clearTimeout: (timer) => globalThis.clearTimeout(timer),
  setInterval: (...args) => globalThis.setInterval(...args),
  clearInterval: (timer) => globalThis.clearInterval(timer),
  setImmediate: (...args) => globalThis.setImmediate(...args),
  clearImmediate: (timer) => globalThis.clearImmediate(timer),
  promises,
};
