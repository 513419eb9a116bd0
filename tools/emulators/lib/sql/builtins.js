"use strict";
// Cosmos DB system functions. Each takes evaluated arguments; a wrong argument type yields undefined, as in Cosmos.
const { deepEqual, typeRank } = require("./values");

const isString = v => typeof v === "string";
const isNumber = v => typeof v === "number";
const strings = fn => (...args) => (args.every(isString) ? fn(...args) : undefined);
const numbers = fn => (...args) => (args.every(isNumber) ? fn(...args) : undefined);
const optionalBool = v => v === undefined || typeof v === "boolean";

function arrayContains(array, value, partial) {
  if (!Array.isArray(array) || !optionalBool(partial)) return undefined;
  if (!partial) return array.some(item => deepEqual(item, value));
  return array.some(item => {
    if (typeRank(item) !== 6 || typeRank(value) !== 6) return deepEqual(item, value);
    return Object.keys(value).every(k => deepEqual(item[k], value[k]));
  });
}

function withCase(fn) {
  return (a, b, ignoreCase) => {
    if (!isString(a) || !isString(b) || !optionalBool(ignoreCase)) return undefined;
    return ignoreCase ? fn(a.toLowerCase(), b.toLowerCase()) : fn(a, b);
  };
}

function substring(s, start, length) {
  if (!isString(s) || !isNumber(start) || (length !== undefined && !isNumber(length))) return undefined;
  const from = Math.max(0, Math.trunc(start));
  return length === undefined ? s.slice(from) : s.slice(from, from + Math.max(0, Math.trunc(length)));
}

function regexMatch(s, pattern, modifiers = "") {
  if (!isString(s) || !isString(pattern) || !isString(modifiers)) return undefined;
  const flags = [...modifiers].filter(f => "ims".includes(f)).join("");
  let source = pattern;
  if (modifiers.includes("x")) source = source.replace(/\s+/g, "");
  return new RegExp(source, flags).test(s);
}

const FUNCTIONS = {
  // Type checks
  IS_DEFINED: v => v !== undefined,
  IS_NULL: v => v === null,
  IS_BOOL: v => typeof v === "boolean",
  IS_NUMBER: isNumber,
  IS_STRING: isString,
  IS_ARRAY: v => Array.isArray(v),
  IS_OBJECT: v => typeRank(v) === 6,
  IS_PRIMITIVE: v => typeRank(v) >= 1 && typeRank(v) <= 4,
  // Arrays
  ARRAY_CONTAINS: arrayContains,
  ARRAY_LENGTH: a => (Array.isArray(a) ? a.length : undefined),
  ARRAY_CONCAT: (...arrays) => (arrays.every(Array.isArray) ? [].concat(...arrays) : undefined),
  ARRAY_SLICE: (a, start, length) => {
    if (!Array.isArray(a) || !isNumber(start)) return undefined;
    const from = start < 0 ? Math.max(0, a.length + start) : start;
    return length === undefined ? a.slice(from) : a.slice(from, from + length);
  },
  // Strings
  STARTSWITH: withCase((a, b) => a.startsWith(b)),
  ENDSWITH: withCase((a, b) => a.endsWith(b)),
  CONTAINS: withCase((a, b) => a.includes(b)),
  STRINGEQUALS: withCase((a, b) => a === b),
  INDEX_OF: (s, find, start = 0) => (isString(s) && isString(find) && isNumber(start) ? s.indexOf(find, start) : undefined),
  LOWER: strings(s => s.toLowerCase()),
  UPPER: strings(s => s.toUpperCase()),
  LENGTH: strings(s => s.length),
  LTRIM: strings(s => s.trimStart()),
  RTRIM: strings(s => s.trimEnd()),
  TRIM: strings(s => s.trim()),
  REVERSE: strings(s => [...s].reverse().join("")),
  REPLACE: strings((s, a, b) => s.split(a).join(b)),
  REPLICATE: (s, n) => (isString(s) && isNumber(n) && n >= 0 ? s.repeat(Math.trunc(n)) : undefined),
  LEFT: (s, n) => (isString(s) && isNumber(n) ? s.slice(0, Math.max(0, n)) : undefined),
  RIGHT: (s, n) => (isString(s) && isNumber(n) ? (n <= 0 ? "" : s.slice(-n)) : undefined),
  SUBSTRING: substring,
  CONCAT: (...args) => (args.every(isString) ? args.join("") : undefined),
  TOSTRING: v => (v === undefined ? undefined : isString(v) ? v : JSON.stringify(v)),
  STRINGTONUMBER: s => {
    if (!isString(s) || s.trim() === "") return undefined;
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  },
  REGEXMATCH: regexMatch,
  // Math
  ABS: numbers(Math.abs),
  CEILING: numbers(Math.ceil),
  FLOOR: numbers(Math.floor),
  ROUND: numbers(n => Math.sign(n) * Math.round(Math.abs(n))),
  TRUNC: numbers(Math.trunc),
  SIGN: numbers(Math.sign),
  SQRT: numbers(Math.sqrt),
  POWER: numbers(Math.pow),
  EXP: numbers(Math.exp),
  LOG: numbers((n, base) => (base === undefined ? Math.log(n) : Math.log(n) / Math.log(base))),
  LOG10: numbers(Math.log10),
  NUMBERBIN: numbers((n, size = 1) => Math.floor(n / size) * size),
  // Dates and time
  GETCURRENTDATETIME: () => new Date().toISOString().replace("Z", "0000Z"),
  GETCURRENTTIMESTAMP: () => Date.now(),
  GETCURRENTTICKS: () => Date.now() * 10000 + 621355968000000000,
};

module.exports = { FUNCTIONS };
