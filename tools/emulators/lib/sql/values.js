"use strict";
// Cosmos DB value semantics: type order, comparison, equality. `undefined` is Cosmos's undefined.

function typeRank(v) {
  if (v === undefined) return 0;
  if (v === null) return 1;
  switch (typeof v) {
    case "boolean": return 2;
    case "number": return 3;
    case "string": return 4;
    default: return Array.isArray(v) ? 5 : 6;
  }
}

/** Total order used by ORDER BY, MIN and MAX: undefined < null < booleans < numbers < strings < arrays < objects. */
function compareValues(a, b) {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 2 || ra === 3) return a === b ? 0 : a < b ? -1 : 1;
  if (ra === 4) return a === b ? 0 : a < b ? -1 : 1;
  return 0;
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeRank(a) !== typeRank(b) || typeof a !== "object" || a === null) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const ka = Object.keys(a).filter(k => a[k] !== undefined);
  const kb = Object.keys(b).filter(k => b[k] !== undefined);
  return ka.length === kb.length && ka.every(k => deepEqual(a[k], b[k]));
}

/** `=`: undefined when either side is undefined or the types differ, else structural equality. */
function equals(a, b) {
  if (a === undefined || b === undefined) return undefined;
  if (typeRank(a) !== typeRank(b)) return undefined;
  return deepEqual(a, b);
}

/** `<`, `>`… : only between two numbers, two strings or two booleans (or two nulls); undefined otherwise. */
function order(a, b) {
  const ra = typeRank(a);
  if (ra !== typeRank(b) || ra === 0 || ra >= 5) return undefined;
  return compareValues(a, b);
}

/** A canonical text for DISTINCT and GROUP BY keys: objects with sorted keys. */
function canonical(v) {
  if (v === undefined) return "u";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  return `{${Object.keys(v).filter(k => v[k] !== undefined).sort().map(k => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
}

module.exports = { typeRank, compareValues, deepEqual, equals, order, canonical };
