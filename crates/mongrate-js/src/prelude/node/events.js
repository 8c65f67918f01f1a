// Node's `events`: EventEmitter (with `once` as a promise), and the small EventTarget,
// AbortController and AbortSignal that timers and packages expect as globals.
'use strict';

const kListeners = Symbol('listeners');

function checkListener(listener) {
  if (typeof listener !== 'function') {
    const error = new TypeError(`The "listener" argument must be of type function. Received ${listener === null ? 'null' : typeof listener}`);
    error.code = 'ERR_INVALID_ARG_TYPE';
    throw error;
  }
}

// A function, not a class: older packages call `EventEmitter.call(this)` from their constructors.
function EventEmitter(options) {
  EventEmitter.init.call(this, options);
}
EventEmitter.init = function init() {
  if (!Object.prototype.hasOwnProperty.call(this, kListeners)) this[kListeners] = new Map();
};

const methods = {
  _list(name) {
    if (!Object.prototype.hasOwnProperty.call(this, kListeners)) this[kListeners] = new Map();
    return this[kListeners].get(name) || [];
  },
  _add(name, listener, prepend, once) {
    checkListener(listener);
    if (this._list('newListener').length > 0) this.emit('newListener', name, listener);
    const entry = { listener, once };
    const list = [...this._list(name)];
    if (prepend) list.unshift(entry); else list.push(entry);
    this[kListeners].set(name, list);
    return this;
  },
  on(name, listener) { return this._add(name, listener, false, false); },
  addListener(name, listener) { return this._add(name, listener, false, false); },
  prependListener(name, listener) { return this._add(name, listener, true, false); },
  once(name, listener) { return this._add(name, listener, false, true); },
  prependOnceListener(name, listener) { return this._add(name, listener, true, true); },
  off(name, listener) {
    const list = this._list(name);
    const at = list.findIndex((entry) => entry.listener === listener);
    if (at === -1) return this;
    const rest = [...list.slice(0, at), ...list.slice(at + 1)];
    if (rest.length === 0) this[kListeners].delete(name); else this[kListeners].set(name, rest);
    if (this._list('removeListener').length > 0) this.emit('removeListener', name, listener);
    return this;
  },
  removeListener(name, listener) { return this.off(name, listener); },
  removeAllListeners(name) {
    this._list(name);
    if (name === undefined) this[kListeners].clear(); else this[kListeners].delete(name);
    return this;
  },
  emit(name, ...args) {
    const list = this._list(name);
    if (list.length === 0) {
      if (name === 'error') {
        const error = args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${args[0]})`);
        if (!(args[0] instanceof Error)) error.code = 'ERR_UNHANDLED_ERROR';
        throw error;
      }
      return false;
    }
    for (const entry of list) {
      if (entry.once) this.off(name, entry.listener);
      entry.listener.apply(this, args);
    }
    return true;
  },
  listeners(name) { return this._list(name).map((entry) => entry.listener); },
  rawListeners(name) { return this._list(name).map((entry) => entry.listener); },
  listenerCount(name) { return this._list(name).length; },
  eventNames() { this._list(); return [...this[kListeners].keys()]; },
  setMaxListeners(count) { this._maxListeners = count; return this; },
  getMaxListeners() { return this._maxListeners === undefined ? EventEmitter.defaultMaxListeners : this._maxListeners; },
};
for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(EventEmitter.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
}
EventEmitter.defaultMaxListeners = 10;
EventEmitter.errorMonitor = Symbol('events.errorMonitor');
EventEmitter.captureRejections = false;
EventEmitter.captureRejectionSymbol = Symbol.for('nodejs.rejection');

// The first `name` event's arguments (an `error` event rejects).
function once(emitter, name, options) {
  return new Promise((resolve, reject) => {
    const signal = options && options.signal;
    const onError = (error) => { emitter.removeListener(name, onEvent); reject(error); };
    const onEvent = (...args) => { if (name !== 'error') emitter.removeListener('error', onError); resolve(args); };
    if (typeof emitter.addEventListener === 'function') {
      emitter.addEventListener(name, (...args) => resolve(args), { once: true });
      return;
    }
    emitter.once(name, onEvent);
    if (name !== 'error') emitter.once('error', onError);
    if (signal) signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

class Event {
  constructor(type, options) {
    this.type = String(type);
    this.bubbles = !!(options && options.bubbles);
    this.cancelable = !!(options && options.cancelable);
    this.defaultPrevented = false;
    this.timeStamp = performance.now();
    this.target = null;
    this.currentTarget = null;
  }
  preventDefault() { if (this.cancelable) this.defaultPrevented = true; }
  stopPropagation() {}
  stopImmediatePropagation() { this._stopped = true; }
}

class EventTarget {
  constructor() { this._handlers = new Map(); }
  addEventListener(type, listener, options) {
    if (!listener) return;
    const list = this._handlers.get(type) || [];
    if (list.some((entry) => entry.listener === listener)) return;
    list.push({ listener, once: !!(options && (options === true ? false : options.once)) });
    this._handlers.set(type, list);
  }
  removeEventListener(type, listener) {
    const list = this._handlers.get(type) || [];
    this._handlers.set(type, list.filter((entry) => entry.listener !== listener));
  }
  dispatchEvent(event) {
    event.target = this;
    event.currentTarget = this;
    for (const entry of [...(this._handlers.get(event.type) || [])]) {
      if (entry.once) this.removeEventListener(event.type, entry.listener);
      if (typeof entry.listener === 'function') entry.listener.call(this, event);
      else if (entry.listener && typeof entry.listener.handleEvent === 'function') entry.listener.handleEvent(event);
      if (event._stopped) break;
    }
    return !event.defaultPrevented;
  }
}

class AbortSignal extends EventTarget {
  constructor() { super(); this.aborted = false; this.reason = undefined; this.onabort = null; }
  throwIfAborted() { if (this.aborted) throw this.reason; }
  _abort(reason) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? abortError() : reason;
    const event = new Event('abort');
    if (typeof this.onabort === 'function') this.onabort(event);
    this.dispatchEvent(event);
  }
  static abort(reason) { const signal = new AbortSignal(); signal._abort(reason); return signal; }
  static timeout(ms) {
    const signal = new AbortSignal();
    setTimeout(() => {
      const error = new Error('The operation was aborted due to timeout');
      error.name = 'TimeoutError';
      signal._abort(error);
    }, ms).unref();
    return signal;
  }
}

function abortError() {
  const error = new Error('This operation was aborted');
  error.name = 'AbortError';
  error.code = 20;
  return error;
}

class AbortController {
  constructor() { this.signal = new AbortSignal(); }
  abort(reason) { this.signal._abort(reason); }
}

module.exports = EventEmitter;
Object.assign(EventEmitter, {
  EventEmitter,
  once,
  Event,
  EventTarget,
  AbortController,
  AbortSignal,
  getEventListeners: (emitter, name) => (typeof emitter.listeners === 'function' ? emitter.listeners(name) : []),
  setMaxListeners: () => {},
});
