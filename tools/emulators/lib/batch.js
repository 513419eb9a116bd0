"use strict";
// TransactionalBatch (atomic) and bulk (non-atomic) requests in the SDK's HybridRow format, executed on one
// logical partition. An atomic batch applies all its operations or none: on the first failure the partition
// is restored and the answer is 207 with the failing operation's status and 424 for every other one.
const { CosmosError, partitionKeyFromHeader } = require("./store");
const { applyPatch } = require("./patch");
const { readBatchRequest, writeBatchResponse, HybridRowError } = require("./hybridrow");

const MAX_OPERATIONS = 100;
const MAX_BYTES = 2 * 1024 * 1024;
const OPERATION = { Create: 0, Patch: 1, Read: 2, Delete: 4, Replace: 5, Upsert: 20 };

function body(op) {
  if (!op.resourceBody) throw new CosmosError(400, "BadRequest", "The batch operation has no body.");
  try {
    return JSON.parse(op.resourceBody.toString("utf8"));
  } catch {
    throw new CosmosError(400, "BadRequest", "The batch operation body is not valid JSON.");
  }
}

function withTtl(doc, op) {
  return op.timeToLiveInSeconds !== undefined ? { ...doc, ttl: op.timeToLiveInSeconds } : doc;
}

/** Runs one operation; returns {statusCode, doc?}. Throws CosmosError for a failed operation. */
function run(store, pk, op) {
  switch (op.operationType) {
    case OPERATION.Create: return store.create(pk, withTtl(body(op), op));
    case OPERATION.Upsert: return store.upsert(pk, withTtl(body(op), op), op.ifMatch);
    case OPERATION.Replace: return store.replace(pk, op.id, withTtl(body(op), op), op.ifMatch);
    case OPERATION.Delete: return store.delete(pk, op.id, op.ifMatch);
    case OPERATION.Patch: {
      const existing = store.read(pk, op.id);
      if (!existing) throw new CosmosError(404, "NotFound", "Entity with the specified id does not exist in the system.");
      return store.replace(pk, op.id, applyPatch(existing, body(op)), op.ifMatch);
    }
    case OPERATION.Read: {
      const doc = store.read(pk, op.id);
      if (!doc) throw new CosmosError(404, "NotFound", "Entity with the specified id does not exist in the system.");
      if (op.ifNoneMatch && op.ifNoneMatch === doc._etag) return { status: 304, doc: null, etag: doc._etag };
      return { status: 200, doc };
    }
    default:
      throw new CosmosError(400, "BadRequest", `Unsupported batch operation type ${op.operationType}.`);
  }
}

function success(op, outcome) {
  const result = { statusCode: outcome.status, subStatusCode: 0, requestCharge: 1 };
  const doc = outcome.doc;
  if (doc) result.eTag = doc._etag;
  else if (outcome.etag) result.eTag = outcome.etag;
  if (doc && op.operationType !== OPERATION.Delete && !op.minimalReturnPreference) {
    result.resourceBody = Buffer.from(JSON.stringify(doc), "utf8");
  }
  return result;
}

/** Executes a batch request; answers {status, body (HybridRow), headers}. */
function executeBatch(store, pk, buffer, { atomic }) {
  if (atomic && pk === undefined) throw new CosmosError(400, "BadRequest", "A transactional batch needs the partition key header.");
  if (buffer.length > MAX_BYTES) throw new CosmosError(413, "RequestEntityTooLarge", `The batch request exceeds the ${MAX_BYTES}-byte limit.`);
  let operations;
  try {
    operations = readBatchRequest(buffer);
  } catch (err) {
    if (err instanceof HybridRowError) throw new CosmosError(400, "BadRequest", `Malformed batch request: ${err.message}`);
    throw err;
  }
  if (operations.length === 0) throw new CosmosError(400, "BadRequest", "The batch request has no operations.");
  if (operations.length > MAX_OPERATIONS) {
    throw new CosmosError(400, "BadRequest", `The batch request has ${operations.length} operations; at most ${MAX_OPERATIONS} are allowed.`);
  }

  const before = atomic ? store.snapshot(pk) : null;
  const results = [];
  let failed = -1;
  for (let i = 0; i < operations.length; i += 1) {
    try {
      // Bulk requests group operations by partition key range: each operation names its own partition key.
      const operationPk = operations[i].partitionKey !== undefined ? partitionKeyFromHeader(operations[i].partitionKey) : pk;
      if (operationPk === undefined) throw new CosmosError(400, "BadRequest", "The batch operation has no partition key.");
      results.push(success(operations[i], run(store, operationPk, operations[i])));
    } catch (err) {
      if (!(err instanceof CosmosError)) throw err;
      results.push({ statusCode: err.status, subStatusCode: err.subStatus || 0, requestCharge: 1 });
      if (failed < 0) failed = i;
      if (atomic) break;
    }
  }

  if (atomic && failed >= 0) {
    store.restore(before);
    const answer = operations.map((_, i) => (i === failed ? results[i] : { statusCode: 424, subStatusCode: 0, requestCharge: 1 }));
    return { status: 207, body: writeBatchResponse(answer), headers: {} };
  }
  return { status: failed >= 0 ? 207 : 200, body: writeBatchResponse(results), headers: {} };
}

module.exports = { executeBatch };
