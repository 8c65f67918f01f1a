// Node's `assert` and `assert/strict`: a failed check throws an AssertionError that says what
// differed.
'use strict';

const { inspect, _deepEqual: deepEqual } = require('util');

class AssertionError extends Error {
  constructor(options) {
    super(options.message);
    this.name = 'AssertionError';
    this.code = 'ERR_ASSERTION';
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
    this.generatedMessage = !options.userMessage;
  }
}

function fail(actual, expected, message, operator, words) {
  if (message instanceof Error) throw message;
  const text = message !== undefined ? String(message)
    : `${words}:\n\n${inspect(actual)}${operator ? `\n\nshould ${operator.startsWith('not') ? 'not ' : ''}equal\n\n` : '\n\n'}${operator ? inspect(expected) : ''}`.trimEnd();
  throw new AssertionError({ message: text, actual, expected, operator, userMessage: message !== undefined });
}

function ok(value, message) {
  if (!value) {
    const text = message !== undefined ? message : 'The expression evaluated to a falsy value:\n\n  assert.ok(' + inspect(value) + ')\n';
    if (text instanceof Error) throw text;
    throw new AssertionError({ message: text, actual: value, expected: true, operator: '==', userMessage: message !== undefined });
  }
}

// Whether `error` is what `expected` (a class, a RegExp, an object of properties, a function)
// describes.
function matches(error, expected) {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) return expected.test(String(error));
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected.call({}, error) === true;
  }
  if (typeof expected === 'object' && expected !== null) {
    return Object.keys(expected).every((key) => (expected[key] instanceof RegExp && typeof error[key] === 'string'
      ? expected[key].test(error[key]) : deepEqual(error[key], expected[key], true)));
  }
  return false;
}

function throws(fn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  try {
    fn();
  } catch (error) {
    if (!matches(error, expected)) fail(error, expected, message, 'throws', 'The error is expected to match what was expected. Received');
    return;
  }
  fail(undefined, expected, message, undefined, 'Missing expected exception');
}

async function rejects(promiseOrFn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (error) {
    if (!matches(error, expected)) fail(error, expected, message, 'rejects', 'The rejection does not match what was expected. Received');
    return;
  }
  fail(undefined, expected, message, undefined, 'Missing expected rejection');
}

function doesNotThrow(fn, expected, message) {
  try { fn(); } catch (error) { fail(error, expected, typeof expected === 'string' ? expected : message, 'doesNotThrow', 'Got unwanted exception. Actual message'); }
}

async function doesNotReject(promiseOrFn, expected, message) {
  try { await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn); } catch (error) {
    fail(error, expected, typeof expected === 'string' ? expected : message, 'doesNotReject', 'Got unwanted rejection. Actual message');
  }
}

function build(strict) {
  const assert = (value, message) => ok(value, message);
  const equal = strict
    ? (a, b, m) => { if (!Object.is(a, b)) fail(a, b, m, 'strictEqual', 'Expected values to be strictly equal'); }
    : (a, b, m) => { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, '==', 'Expected values to be loosely equal'); };
  const notEqual = strict
    ? (a, b, m) => { if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual', 'Expected "actual" to be strictly unequal to'); }
    : (a, b, m) => { if (a == b || (a !== a && b !== b)) fail(a, b, m, '!=', 'Expected "actual" to be loosely unequal to'); };
  const deep = (a, b, m) => { if (!deepEqual(a, b, strict)) fail(a, b, m, strict ? 'deepStrictEqual' : 'deepEqual', `Expected values to be ${strict ? 'strictly' : 'loosely'} deep-equal`); };
  const notDeep = (a, b, m) => { if (deepEqual(a, b, strict)) fail(a, b, m, strict ? 'notDeepStrictEqual' : 'notDeepEqual', `Expected "actual" not to be ${strict ? 'strictly' : 'loosely'} deep-equal to`); };
  Object.assign(assert, {
    ok,
    equal,
    notEqual,
    strictEqual: (a, b, m) => { if (!Object.is(a, b)) fail(a, b, m, 'strictEqual', 'Expected values to be strictly equal'); },
    notStrictEqual: (a, b, m) => { if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual', 'Expected "actual" to be strictly unequal to'); },
    deepEqual: deep,
    notDeepEqual: notDeep,
    deepStrictEqual: (a, b, m) => { if (!deepEqual(a, b, true)) fail(a, b, m, 'deepStrictEqual', 'Expected values to be strictly deep-equal'); },
    notDeepStrictEqual: (a, b, m) => { if (deepEqual(a, b, true)) fail(a, b, m, 'notDeepStrictEqual', 'Expected "actual" not to be strictly deep-equal to'); },
    throws,
    rejects,
    doesNotThrow,
    doesNotReject,
    match: (text, pattern, m) => { if (typeof text !== 'string' || !pattern.test(text)) fail(text, pattern, m, 'match', 'The input did not match the regular expression'); },
    doesNotMatch: (text, pattern, m) => { if (typeof text === 'string' && pattern.test(text)) fail(text, pattern, m, 'doesNotMatch', 'The input was expected to not match the regular expression'); },
    fail: (message = 'Failed') => { if (message instanceof Error) throw message; throw new AssertionError({ message, operator: 'fail', userMessage: true }); },
    ifError: (value) => { if (value !== null && value !== undefined) { if (value instanceof Error) throw value; fail(value, null, undefined, 'ifError', 'ifError got unwanted exception'); } },
    AssertionError,
  });
  return assert;
}

const assert = build(false);
assert.strict = build(true);
assert.strict.strict = assert.strict;
module.exports = assert;
