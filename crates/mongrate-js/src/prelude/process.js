// Node's `process` as a migration sees it: the environment, the working directory, the arguments,
// `exit` (which fails the migration), `nextTick`, `hrtime`, `stdout`/`stderr` (console lines) and
// process events (kept, never emitted by mongrate).
(function (M) {
  'use strict';
  const native = M.native;
  const listeners = new Map();
  const started = performance.now();

  // Writes to stdout/stderr become console lines once a line is complete.
  function stream(level, fd) {
    let pending = '';
    return {
      fd,
      isTTY: false,
      columns: 80,
      rows: 24,
      writable: true,
      write(chunk, encoding, callback) {
        const text = typeof chunk === 'string' ? chunk : (chunk instanceof Uint8Array ? native.utf8Decode(chunk) : String(chunk));
        const lines = (pending + text).split('\n');
        pending = lines.pop();
        for (const line of lines) native.log(level, line);
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') queueMicrotask(done);
        return true;
      },
      end(chunk) { if (chunk !== undefined) this.write(chunk); if (pending) { native.log(level, pending); pending = ''; } },
      on() { return this; }, once() { return this; }, off() { return this; }, emit() { return false; },
      getColorDepth: () => 1,
      hasColors: () => false,
    };
  }

  function hrtime(previous) {
    const nanos = BigInt(Math.round((performance.now() - started) * 1e6)) + 1000000000n;
    let seconds = Number(nanos / 1000000000n);
    let rest = Number(nanos % 1000000000n);
    if (Array.isArray(previous)) {
      seconds -= previous[0];
      rest -= previous[1];
      if (rest < 0) { seconds -= 1; rest += 1e9; }
    }
    return [seconds, rest];
  }
  hrtime.bigint = () => BigInt(Math.round((performance.now() - started) * 1e6)) + 1000000000n;

  const process = {
    title: 'mongrate',
    version: 'v22.0.0',
    versions: { node: '22.0.0', mongrate: native.version },
    release: { name: 'node' },
    env: native.env,
    argv: native.argv,
    argv0: 'mongrate',
    execArgv: [],
    execPath: native.execPath,
    pid: native.pid,
    ppid: 0,
    platform: ({ macos: 'darwin', windows: 'win32' })[native.platform] || native.platform,
    exitCode: undefined,
    config: { variables: {} },
    features: {},
    stdout: stream('info', 1),
    stderr: stream('error', 2),
    stdin: { fd: 0, isTTY: false, on() { return this; }, once() { return this; } },
    cwd: () => native.cwd,
    chdir(dir) { throw new Error(`process.chdir(${JSON.stringify(dir)}): a migration cannot change mongrate's working directory`); },
    exit(code) {
      native.exit(code === undefined ? process.exitCode : code);
      const error = new Error(native.exitMessage(code));
      error.code = 'ERR_MONGRATE_PROCESS_EXIT';
      throw error;
    },
    abort() { process.exit(134); },
    kill() { throw new Error('process.kill is not available in a migration'); },
    nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
    hrtime,
    uptime: () => (performance.now() - started) / 1000,
    memoryUsage: Object.assign(() => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }), { rss: () => 0 }),
    cpuUsage: () => ({ user: 0, system: 0 }),
    resourceUsage: () => ({}),
    umask: () => 0o022,
    emitWarning(warning, type) {
      const text = warning instanceof Error ? `${warning.name}: ${warning.message}` : `${(type && (type.type || type)) || 'Warning'}: ${warning}`;
      native.log('warn', text);
    },
    binding(name) { throw new Error(`process.binding('${name}') is not available: mongrate runs JavaScript without Node.js`); },
    on(event, listener) { if (!listeners.has(event)) listeners.set(event, []); listeners.get(event).push(listener); return process; },
    once(event, listener) { return process.on(event, listener); },
    off(event, listener) { const list = listeners.get(event) || []; const at = list.indexOf(listener); if (at >= 0) list.splice(at, 1); return process; },
    emit(event, ...args) { const list = listeners.get(event) || []; for (const listener of [...list]) listener.apply(process, args); return list.length > 0; },
    listeners: (event) => [...(listeners.get(event) || [])],
    listenerCount: (event) => (listeners.get(event) || []).length,
    removeAllListeners(event) { if (event === undefined) listeners.clear(); else listeners.delete(event); return process; },
    setMaxListeners() { return process; },
    getMaxListeners: () => 10,
  };
  process.addListener = process.on;
  process.removeListener = process.off;
  process.prependListener = process.on;
  Object.defineProperty(process, 'arch', { enumerable: true, configurable: true, get: () => native.osInfo().arch });
  globalThis.process = process;
  globalThis.global = globalThis;
})(globalThis.__mongrate);
