"use strict";
// Enclave's document store for the local Cosmos DB: documents per collection and logical partition, with
// Cosmos's system properties (_rid, _self, quoted _etag, _ts, _lsn), unique keys, TTL and an LSN-ordered
// change log. Databases and collections themselves stay in @vercel/cosmosdb-server's account model.
const { randomUUID } = require("crypto");
const { SEQUENCE } = require("./sql/evaluate");

class CosmosError extends Error {
  constructor(status, code, message, subStatus) {
    super(message);
    this.status = status;
    this.code = code;
    this.subStatus = subStatus;
  }
}

// Enough for a query's cached results to survive the writes between two of its pages (documents.js), and for an
// atomic batch (at most 100 operations) to be undone.
const WRITE_LOG = 4096;
const newEtag = () => `"${randomUUID()}"`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

function valueAt(doc, path) {
  let v = doc;
  for (const part of path.split("/").filter(Boolean)) {
    if (v === null || typeof v !== "object") return undefined;
    v = v[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return v;
}

/** The partition a document belongs to, as a stable string key. */
function partitionKeyOf(paths, doc) {
  return JSON.stringify(paths.map(p => {
    const v = valueAt(doc, p);
    return v === undefined ? {} : v;
  }));
}

/** The partition key from the x-ms-documentdb-partitionkey header, or undefined when none (cross-partition). */
function partitionKeyFromHeader(header) {
  if (header === undefined || header === "" || header === "[]") return undefined;
  let parsed;
  try { parsed = JSON.parse(header); } catch { throw new CosmosError(400, "BadRequest", `Malformed partition key header: ${header}`); }
  if (!Array.isArray(parsed)) parsed = [parsed];
  return JSON.stringify(parsed);
}

class CollectionStore {
  constructor(collection) {
    this.rid = collection._rid;
    this.self = collection._self;
    this.partitionPaths = (collection.partitionKey && collection.partitionKey.paths) || [];
    this.uniqueKeys = ((collection.uniqueKeyPolicy && collection.uniqueKeyPolicy.uniqueKeys) || []).map(k => k.paths);
    this.defaultTtl = collection.defaultTtl;
    /** @type {Map<string, Map<string, object>>} partition key → id → document */
    this.partitions = new Map();
    this.sequence = 0;
    this.lsn = 0;
    /** The latest writes, oldest first: { lsn, pk, before, after } or { lsn, pk, all: true } for a dropped partition. */
    this.writes = [];
  }

  logWrite(entry) {
    this.writes.push(entry);
    if (this.writes.length > WRITE_LOG) this.writes.splice(0, this.writes.length - WRITE_LOG);
  }

  /** The writes after `lsn`, or undefined when the log no longer reaches back that far. */
  writesSince(lsn) {
    if (lsn === this.lsn) return [];
    const first = this.writes.findIndex(w => w.lsn > lsn);
    if (first < 0 || this.writes[first].lsn !== lsn + 1) return undefined;
    return this.writes.slice(first);
  }

  partition(pk, create) {
    let p = this.partitions.get(pk);
    if (!p && create) { p = new Map(); this.partitions.set(pk, p); }
    return p;
  }

  isExpired(doc, now = nowSeconds()) {
    if (this.defaultTtl === undefined || this.defaultTtl === null) return false;
    const ttl = doc.ttl !== undefined ? doc.ttl : this.defaultTtl;
    return typeof ttl === "number" && ttl > 0 && doc._ts + ttl <= now;
  }

  /** When the first of `documents` expires (seconds since the epoch), or Infinity when none has a time to live. */
  firstExpiry(documents) {
    if (this.defaultTtl === undefined || this.defaultTtl === null) return Infinity;
    let first = Infinity;
    for (const doc of documents) {
      const ttl = doc.ttl !== undefined ? doc.ttl : this.defaultTtl;
      if (typeof ttl === "number" && ttl > 0 && doc._ts + ttl < first) first = doc._ts + ttl;
    }
    return first;
  }

  /** Removes expired documents of one partition (or all); called lazily on access. */
  purge(pk) {
    if (this.defaultTtl === undefined || this.defaultTtl === null) return;
    const now = nowSeconds();
    const partitions = pk === undefined ? [...this.partitions.values()] : [this.partition(pk, false)].filter(Boolean);
    for (const p of partitions) for (const [id, doc] of p) if (this.isExpired(doc, now)) p.delete(id);
  }

  /** Documents of one partition, or of all partitions when pk is undefined, in resource-id order. */
  documents(pk) {
    this.purge(pk);
    if (pk !== undefined) {
      const p = this.partition(pk, false);
      return p ? [...p.values()] : [];
    }
    const all = [];
    for (const p of this.partitions.values()) for (const doc of p.values()) all.push(doc);
    return all.sort((a, b) => a[SEQUENCE] - b[SEQUENCE]);
  }

  read(pk, id) {
    const p = this.partition(pk, false);
    const doc = p ? p.get(id) : undefined;
    if (doc && this.isExpired(doc)) {
      p.delete(id);
      return undefined;
    }
    return doc;
  }

  newRid(sequence) {
    const collection = Buffer.from(this.rid.replace(/-/g, "/"), "base64");
    const doc = Buffer.alloc(8);
    doc.writeBigUInt64LE(BigInt(sequence));
    return Buffer.concat([collection.subarray(0, 8), doc]).toString("base64").replace(/\//g, "-");
  }

  checkUnique(partition, doc, ignoreId) {
    for (const paths of this.uniqueKeys) {
      const key = JSON.stringify(paths.map(p => valueAt(doc, p)));
      for (const other of partition.values()) {
        if (other.id === ignoreId) continue;
        if (JSON.stringify(paths.map(p => valueAt(other, p))) === key) {
          throw new CosmosError(409, "Conflict", `Unique index constraint violation on ${paths.join(", ")}.`);
        }
      }
    }
  }

  validate(doc) {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new CosmosError(400, "BadRequest", "The document must be a JSON object.");
    if (typeof doc.id !== "string" || doc.id === "") throw new CosmosError(400, "BadRequest", "The input content is invalid because the required property 'id' is missing.");
    if (/[/\\?#]/.test(doc.id)) throw new CosmosError(400, "BadRequest", "The id contains an invalid character ('/', '\\', '?' or '#').");
    if (doc.ttl !== undefined && (!Number.isInteger(doc.ttl) || doc.ttl === 0 || doc.ttl < -1)) throw new CosmosError(400, "BadRequest", "ttl must be a positive integer or -1.");
  }

  /** Writes `body` as the stored version of a document (new or replacing `previous`). */
  put(pk, body, previous) {
    const partition = this.partition(pk, true);
    this.checkUnique(partition, body, previous ? previous.id : undefined);
    this.lsn += 1;
    const sequence = previous ? previous[SEQUENCE] : (this.sequence += 1);
    const rid = previous ? previous._rid : this.newRid(sequence);
    const doc = {
      ...body,
      _rid: rid,
      _self: `${this.self.replace(/\/$/, "")}/docs/${rid}/`,
      _etag: newEtag(),
      _attachments: "attachments/",
      _ts: nowSeconds(),
      _lsn: this.lsn,
    };
    Object.defineProperty(doc, SEQUENCE, { value: sequence, enumerable: false });
    partition.set(doc.id, doc);
    this.logWrite({ lsn: this.lsn, pk, before: previous, after: doc });
    return doc;
  }

  checkPartitionKey(pk, body) {
    if (pk !== undefined && partitionKeyOf(this.partitionPaths, body) !== pk) {
      throw new CosmosError(400, "BadRequest", "PartitionKey extracted from document doesn't match the one specified in the header.");
    }
    return pk ?? partitionKeyOf(this.partitionPaths, body);
  }

  static checkIfMatch(existing, ifMatch) {
    if (ifMatch && ifMatch !== "*" && (!existing || existing._etag !== ifMatch)) {
      throw new CosmosError(412, "PreconditionFailed", "Operation cannot be performed because one of the specified precondition is not met.");
    }
  }

  create(pk, body) {
    this.validate(body);
    const key = this.checkPartitionKey(pk, body);
    if (this.read(key, body.id)) throw new CosmosError(409, "Conflict", "Entity with the specified id already exists in the system.");
    return { status: 201, doc: this.put(key, body) };
  }

  upsert(pk, body, ifMatch) {
    this.validate(body);
    const key = this.checkPartitionKey(pk, body);
    const existing = this.read(key, body.id);
    if (existing) CollectionStore.checkIfMatch(existing, ifMatch);
    else if (ifMatch && ifMatch !== "*") throw new CosmosError(412, "PreconditionFailed", "The document to upsert with If-Match does not exist.");
    return { status: existing ? 200 : 201, doc: this.put(key, body, existing) };
  }

  replace(pk, id, body, ifMatch) {
    this.validate(body);
    if (body.id !== id) throw new CosmosError(400, "BadRequest", "The id in the body does not match the id in the address.");
    const key = this.checkPartitionKey(pk, body);
    const existing = this.read(key, id);
    if (!existing) throw new CosmosError(404, "NotFound", "Entity with the specified id does not exist in the system.");
    CollectionStore.checkIfMatch(existing, ifMatch);
    return { status: 200, doc: this.put(key, body, existing) };
  }

  delete(pk, id, ifMatch) {
    const existing = this.read(pk, id);
    if (!existing) throw new CosmosError(404, "NotFound", "Entity with the specified id does not exist in the system.");
    CollectionStore.checkIfMatch(existing, ifMatch);
    this.partition(pk, false).delete(id);
    this.lsn += 1;
    this.logWrite({ lsn: this.lsn, pk, before: existing });
    return { status: 204, doc: existing };
  }

  deletePartition(pk) {
    this.partitions.delete(pk);
    this.lsn += 1;
    this.logWrite({ lsn: this.lsn, pk, all: true });
  }

  /** Incremental change feed: the latest version of each document changed after `sinceLsn`, in LSN order. */
  changesSince(pk, sinceLsn) {
    return this.documents(pk).filter(doc => doc._lsn > sinceLsn).sort((a, b) => a._lsn - b._lsn);
  }

  /** Marks where an atomic batch in one partition starts: restore() undoes every write since, from the write log. */
  snapshot(pk) {
    return { pk, existed: this.partitions.has(pk), sequence: this.sequence, lsn: this.lsn };
  }

  restore(state) {
    // Synchronous with the batch: no query runs between snapshot() and restore(), so no cached result saw the undone writes.
    for (let i = this.writes.length - 1; i >= 0 && this.writes[i].lsn > state.lsn; i--) {
      const { pk, before, after } = this.writes[i];
      const partition = this.partition(pk, true);
      if (before) partition.set(before.id, before);
      else partition.delete(after.id);
    }
    if (!state.existed && this.partitions.get(state.pk)?.size === 0) this.partitions.delete(state.pk);
    this.sequence = state.sequence;
    this.lsn = state.lsn;
    this.writes = this.writes.filter(w => w.lsn <= state.lsn);
  }
}

/** One CollectionStore per collection, keyed by the collection's _rid (a recreated collection starts empty). */
class DocumentStores {
  constructor() { this.byRid = new Map(); }

  get(collection) {
    let store = this.byRid.get(collection._rid);
    if (!store) { store = new CollectionStore(collection); this.byRid.set(collection._rid, store); }
    return store;
  }

  drop(collectionRid) { this.byRid.delete(collectionRid); }
}

module.exports = { DocumentStores, CollectionStore, CosmosError, partitionKeyFromHeader, partitionKeyOf, valueAt };
