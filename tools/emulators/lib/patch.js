"use strict";
// Cosmos DB partial document update (PATCH): add, set, replace, remove, incr, move, with an optional SQL
// condition ("FROM c WHERE …") that must match or the patch fails with 412.
const { parse } = require("./sql/parser");
const { execute } = require("./sql/evaluate");
const { CosmosError } = require("./store");

function pointer(path) {
  if (typeof path !== "string" || !path.startsWith("/")) throw new CosmosError(400, "BadRequest", `Invalid patch path ${path}.`);
  return path.slice(1).split("/").map(p => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc, parts, path) {
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : node[part];
    if (node === null || typeof node !== "object") throw new CosmosError(400, "BadRequest", `The patch path ${path} does not exist.`);
  }
  return node;
}

function apply(doc, op) {
  const parts = pointer(op.path);
  const last = parts[parts.length - 1];
  if (parts.length === 1 && ["id", "_rid", "_etag", "_ts", "_self"].includes(last) && op.op !== "set" && op.op !== "replace") {
    throw new CosmosError(400, "BadRequest", `The patch cannot change ${op.path}.`);
  }
  const parent = parentOf(doc, parts, op.path);
  const isArray = Array.isArray(parent);
  const index = last === "-" ? parent.length : Number(last);
  const exists = isArray ? index < parent.length : Object.prototype.hasOwnProperty.call(parent, last);
  switch (op.op) {
    case "add":
      if (isArray) parent.splice(index, 0, op.value); else parent[last] = op.value;
      break;
    case "set":
      if (isArray) parent[index] = op.value; else parent[last] = op.value;
      break;
    case "replace":
      if (!exists) throw new CosmosError(400, "BadRequest", `The patch path ${op.path} does not exist.`);
      if (isArray) parent[index] = op.value; else parent[last] = op.value;
      break;
    case "remove":
      if (!exists) throw new CosmosError(400, "BadRequest", `The patch path ${op.path} does not exist.`);
      if (isArray) parent.splice(index, 1); else delete parent[last];
      break;
    case "incr": {
      const current = isArray ? parent[index] : parent[last];
      if (current !== undefined && typeof current !== "number") throw new CosmosError(400, "BadRequest", `The value at ${op.path} is not a number.`);
      if (typeof op.value !== "number") throw new CosmosError(400, "BadRequest", "incr needs a number.");
      const next = (current || 0) + op.value;
      if (isArray) parent[index] = next; else parent[last] = next;
      break;
    }
    case "move": {
      const fromParts = pointer(op.from);
      const fromParent = parentOf(doc, fromParts, op.from);
      const key = fromParts[fromParts.length - 1];
      if (!Object.prototype.hasOwnProperty.call(fromParent, key)) throw new CosmosError(400, "BadRequest", `The patch path ${op.from} does not exist.`);
      const value = fromParent[key];
      if (Array.isArray(fromParent)) fromParent.splice(Number(key), 1); else delete fromParent[key];
      if (isArray) parent.splice(index, 0, value); else parent[last] = value;
      break;
    }
    default:
      throw new CosmosError(400, "BadRequest", `Unknown patch operation ${op.op}.`);
  }
}

/** Applies a Cosmos patch body to a copy of `existing` and returns the new body (system properties dropped). */
function applyPatch(existing, body) {
  const operations = body && body.operations;
  if (!Array.isArray(operations) || operations.length === 0 || operations.length > 10) {
    throw new CosmosError(400, "BadRequest", "A patch needs between 1 and 10 operations.");
  }
  if (body.condition) {
    const matches = execute(parse(`SELECT VALUE 1 ${body.condition}`), [existing], new Map());
    if (matches.length === 0) throw new CosmosError(412, "PreconditionFailed", "The patch condition is not met.");
  }
  const doc = structuredClone(existing);
  for (const key of ["_rid", "_self", "_etag", "_attachments", "_ts", "_lsn"]) delete doc[key];
  for (const op of operations) apply(doc, op);
  return doc;
}

module.exports = { applyPatch };
