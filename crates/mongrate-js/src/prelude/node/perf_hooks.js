// Node's `perf_hooks`: the global `performance`, and observers that observe nothing.
'use strict';

class PerformanceObserver {
  observe() {}
  disconnect() {}
}
module.exports = { performance: globalThis.performance, PerformanceObserver, constants: {} };
