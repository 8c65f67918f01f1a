// `console`, and how values are shown as Node shows them (`util.inspect`, `util.format`).
(function (M) {
  'use strict';
  const native = M.native;
  const custom = Symbol.for('nodejs.util.inspect.custom');
  const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
  const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array);

  function quote(text) {
    const mark = text.includes("'") && !text.includes('"') ? '"' : "'";
    const escaped = text.replace(/[\\\n\r\t\b\f\v]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' })[c]);
    return mark + (mark === "'" ? escaped.replace(/'/g, "\\'") : escaped) + mark;
  }

  function functionText(fn) {
    const source = Function.prototype.toString.call(fn);
    if (/^class\b/.test(source)) return `[class ${fn.name || '(anonymous)'}]`;
    const kind = fn.constructor && fn.constructor.name !== 'Function' ? fn.constructor.name : 'Function';
    return fn.name ? `[${kind}: ${fn.name}]` : `[${kind} (anonymous)]`;
  }

  function keyText(key) {
    if (typeof key === 'symbol') return `[${key.toString()}]`;
    return IDENTIFIER.test(key) ? key : quote(key);
  }

  // Items on one line when they fit, else one per line, indented.
  function wrap(open, items, close, indent) {
    if (items.length === 0) return `${open}${close}`;
    const line = `${open} ${items.join(', ')} ${close}`;
    if (line.length <= 72 && !items.some((item) => item.includes('\n'))) return line;
    const pad = '  '.repeat(indent + 1);
    return `${open}\n${items.map((item) => pad + item).join(',\n')}\n${'  '.repeat(indent)}${close}`;
  }

  function formatValue(value, options, depth, seen) {
    switch (typeof value) {
      case 'string': return quote(value);
      case 'number': return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint': return `${value}n`;
      case 'symbol': return value.toString();
      case 'undefined': return 'undefined';
      case 'boolean': return String(value);
      default: break;
    }
    if (value === null) return 'null';
    if (typeof value[custom] === 'function' && value[custom] !== inspect) {
      const shown = value[custom](options.depth - depth, options, inspect);
      return typeof shown === 'string' ? shown : formatValue(shown, options, depth, seen);
    }
    if (seen.includes(value)) return '[Circular *1]';
    if (typeof value === 'function') {
      const keys = Object.keys(value);
      if (keys.length === 0 || depth > options.depth) return functionText(value);
    }
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Error) {
      const head = value.stack ? `${value.name}: ${value.message}\n${value.stack.replace(/\n$/, '')}` : `${value.name}: ${value.message}`;
      return head;
    }
    if (value instanceof Promise) return 'Promise { <pending> }';
    const constructor = value.constructor && typeof value.constructor === 'function' ? value.constructor.name : null;
    const inner = [...seen, value];
    const next = (item) => formatValue(item, options, depth + 1, inner);
    if (Array.isArray(value)) {
      if (depth > options.depth) return '[Array]';
      const items = value.slice(0, 100).map(next);
      if (value.length > 100) items.push(`... ${value.length - 100} more items`);
      const prefix = constructor && constructor !== 'Array' ? `${constructor}(${value.length}) ` : '';
      return prefix + wrap('[', items, ']', depth);
    }
    if (value instanceof TYPED_ARRAY) {
      if (depth > options.depth) return `[${constructor}]`;
      const items = Array.from(value.subarray(0, 100), (item) => formatValue(item, options, depth + 1, inner));
      if (value.length > 100) items.push(`... ${value.length - 100} more items`);
      return `${constructor}(${value.length}) ${wrap('[', items, ']', depth)}`;
    }
    if (value instanceof Map) {
      if (depth > options.depth) return '[Map]';
      return `Map(${value.size}) ${wrap('{', [...value].map(([k, v]) => `${next(k)} => ${next(v)}`), '}', depth)}`;
    }
    if (value instanceof Set) {
      if (depth > options.depth) return '[Set]';
      return `Set(${value.size}) ${wrap('{', [...value].map(next), '}', depth)}`;
    }
    const prototype = Object.getPrototypeOf(value);
    const name = typeof value === 'function' ? functionText(value)
      : prototype === null ? '[Object: null prototype]'
      : constructor && constructor !== 'Object' ? constructor : '';
    if (depth > options.depth) return name && typeof value !== 'function' ? `[${name}]` : '[Object]';
    const keys = [...Object.keys(value), ...Object.getOwnPropertySymbols(value).filter((s) => Object.prototype.propertyIsEnumerable.call(value, s))];
    const items = keys.map((key) => `${keyText(key)}: ${next(value[key])}`);
    const body = wrap('{', items, '}', depth);
    return name ? `${name} ${body}` : body;
  }

  function inspect(value, options) {
    const settings = { depth: 2, ...(typeof options === 'object' && options !== null ? options : {}) };
    if (settings.depth === null) settings.depth = Infinity;
    return formatValue(value, settings, 0, []);
  }
  inspect.custom = custom;
  inspect.defaultOptions = { depth: 2 };

  // An argument of console.log: a string as it is, anything else inspected.
  const shown = (value) => (typeof value === 'string' ? value : inspect(value));

  function format(...args) {
    if (typeof args[0] !== 'string') return args.map(shown).join(' ');
    let index = 1;
    const head = args[0].replace(/%[sdifjoOc%]/g, (spec) => {
      if (spec === '%%') return '%';
      if (index >= args.length) return spec;
      const arg = args[index++];
      switch (spec) {
        case '%s':
          if (typeof arg === 'bigint') return `${arg}n`;
          if (typeof arg === 'symbol') return arg.toString();
          if (arg !== null && typeof arg === 'object') return inspect(arg, { depth: 0 });
          return String(arg);
        case '%d':
          if (typeof arg === 'bigint') return `${arg}n`;
          return typeof arg === 'object' && arg !== null ? 'NaN' : String(Number(arg));
        case '%i': return typeof arg === 'bigint' ? `${arg}n` : String(parseInt(arg, 10));
        case '%f': return String(parseFloat(arg));
        case '%j': try { return JSON.stringify(arg); } catch (_) { return '[Circular]'; }
        case '%c': return '';
        default: return inspect(arg, { depth: spec === '%o' ? 4 : 2 });
      }
    });
    return [head, ...args.slice(index).map(shown)].join(' ');
  }

  M.inspect = inspect;
  M.format = format;

  const log = (level) => (...args) => native.log(level, format(...args));
  const counts = new Map();
  const timers = new Map();
  globalThis.console = {
    log: log('info'), info: log('info'), debug: log('debug'), trace: log('debug'),
    warn: log('warn'), error: log('error'),
    dir: (value, options) => native.log('info', inspect(value, options)),
    table: (value) => native.log('info', inspect(value)),
    assert: (ok, ...args) => { if (!ok) native.log('error', `Assertion failed${args.length ? `: ${format(...args)}` : ''}`); },
    count: (label = 'default') => { counts.set(label, (counts.get(label) || 0) + 1); native.log('info', `${label}: ${counts.get(label)}`); },
    countReset: (label = 'default') => { counts.delete(label); },
    time: (label = 'default') => { timers.set(label, Date.now()); },
    timeLog: (label = 'default', ...args) => {
      if (timers.has(label)) native.log('info', [`${label}: ${Date.now() - timers.get(label)}ms`, ...args.map(shown)].join(' '));
    },
    timeEnd: (label = 'default') => {
      if (!timers.has(label)) return;
      native.log('info', `${label}: ${Date.now() - timers.get(label)}ms`);
      timers.delete(label);
    },
    group() {}, groupCollapsed() {}, groupEnd() {},
  };
})(globalThis.__mongrate);
