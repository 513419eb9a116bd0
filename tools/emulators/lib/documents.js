"use strict";
// The document routes of the local Cosmos DB: point operations, queries, query plans, read and change feeds,
// delete-by-partition-key and transactional batches, on Enclave's own store (store.js).
const { createHash } = require("crypto");
const { parse } = require("./sql/parser");
const { execute } = require("./sql/evaluate");
const { queryPlan } = require("./sql/plan");
const { CosmosError, partitionKeyFromHeader } = require("./store");
const { applyPatch } = require("./patch");
const { executeBatch } = require("./batch");

const COLLECTION = /^\/dbs\/([^/]+)\/colls\/([^/]+)(\/docs(?:\/([^/]+))?|\/operations\/partitionkeydelete)$/;
const DEFAULT_PAGE = 100;
const DYNAMIC_PAGE = 1000;

const isTrue = value => String(value).toLowerCase() === "true";

/** Reads a request body as a Buffer. */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", c => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(buffer) {
  try {
    return JSON.parse(buffer.toString("utf8"));
  } catch {
    throw new CosmosError(400, "BadRequest", "The request body is not valid JSON.");
  }
}

/** The value of the continuation token, or a fresh start when it belongs to another query. */
function startOffset(token, queryHash) {
  if (!token) return 0;
  try {
    const { h, o } = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    return h === queryHash && Number.isInteger(o) && o >= 0 ? o : 0;
  } catch {
    throw new CosmosError(400, "BadRequest", "Invalid continuation token.");
  }
}

function pageSize(req) {
  const header = req.headers["x-ms-max-item-count"];
  if (header === undefined) return DEFAULT_PAGE;
  const n = Number.parseInt(header, 10);
  return n > 0 ? n : DYNAMIC_PAGE;
}

class DocumentRoutes {
  constructor(account, stores, options) {
    this.account = account;
    this.stores = stores;
    this.planMode = options.planMode;
    this.resultCache = new Map();
  }

  /** Answers the request when it is a document route; returns false to leave it to the stock server. */
  async handle(req, res, send) {
    const url = new URL(req.url, "http://local");
    const match = COLLECTION.exec(url.pathname);
    if (!match) return false;
    const [dbId, collId] = [match[1], match[2]].map(decodeURIComponent);
    const collection = this.account.database(dbId).collection(collId).read();
    if (!collection) {
      send(404, { code: "NotFound", message: `Collection dbs/${dbId}/colls/${collId} does not exist.` });
      return true;
    }
    const store = this.stores.get(collection);
    const docId = match[4] !== undefined ? decodeURIComponent(match[4]) : undefined;
    const h = req.headers;
    const pk = partitionKeyFromHeader(h["x-ms-documentdb-partitionkey"]);
    const body = await readBody(req);

    if (match[3] === "/operations/partitionkeydelete") {
      if (pk === undefined) throw new CosmosError(400, "BadRequest", "Delete by partition key needs a partition key.");
      store.deletePartition(pk);
      send(200, {});
      return true;
    }

    if (docId === undefined) {
      if (req.method === "GET") {
        if (h["a-im"]) this.changeFeed(store, pk, req, send);
        else this.readFeed(store, pk, url, req, send);
        return true;
      }
      if (req.method !== "POST") return false;
      if (isTrue(h["x-ms-cosmos-is-query-plan-request"])) {
        const { query, parameters } = json(body);
        send(200, queryPlan(query, toParameters(parameters), this.planMode));
      } else if (isTrue(h["x-ms-cosmos-is-batch-request"])) {
        const answer = executeBatch(store, pk, body, { atomic: isTrue(h["x-ms-cosmos-batch-atomic"]), continueOnError: isTrue(h["x-ms-cosmos-batch-continue-on-error"]) });
        send(answer.status, answer.body, answer.headers);
      } else if (isTrue(h["x-ms-documentdb-isquery"]) || String(h["content-type"]).startsWith("application/query+json")) {
        this.query(collection, store, pk, json(body), req, send);
      } else {
        const doc = json(body);
        const result = isTrue(h["x-ms-documentdb-is-upsert"]) ? store.upsert(pk, doc, h["if-match"]) : store.create(pk, doc);
        this.sendDocument(req, send, result.status, result.doc);
      }
      return true;
    }

    const key = pk ?? JSON.stringify([{}]);
    switch (req.method) {
      case "GET": {
        const doc = store.read(key, docId);
        if (!doc) throw new CosmosError(404, "NotFound", "Entity with the specified id does not exist in the system.");
        if (h["if-none-match"] && h["if-none-match"] === doc._etag) send(304, null, { etag: doc._etag });
        else this.sendDocument(req, send, 200, doc);
        return true;
      }
      case "PUT": {
        const result = store.replace(key, docId, json(body), h["if-match"]);
        this.sendDocument(req, send, result.status, result.doc);
        return true;
      }
      case "PATCH": {
        const existing = store.read(key, docId);
        if (!existing) throw new CosmosError(404, "NotFound", "Entity with the specified id does not exist in the system.");
        const patched = applyPatch(existing, json(body));
        const result = store.replace(key, docId, patched, h["if-match"]);
        this.sendDocument(req, send, result.status, result.doc);
        return true;
      }
      case "DELETE": {
        store.delete(key, docId, h["if-match"]);
        send(204, null);
        return true;
      }
      default:
        return false;
    }
  }

  sendDocument(req, send, status, doc) {
    const minimal = String(req.headers.prefer || "").includes("return=minimal");
    send(status, minimal ? null : doc, { etag: doc._etag });
  }

  readFeed(store, pk, url, req, send) {
    const docs = store.documents(pk);
    this.page(store, docs, `feed:${pk}`, req, send);
  }

  query(collection, store, pk, { query, parameters }, req, send) {
    if (typeof query !== "string") throw new CosmosError(400, "BadRequest", "The query is missing.");
    const params = toParameters(parameters);
    const hash = createHash("sha256").update(JSON.stringify([query, parameters || [], pk ?? null])).digest("base64").slice(0, 16);
    const cacheKey = `${collection._rid}|${hash}`;
    let cached = this.resultCache.get(cacheKey);
    if (cached && !stillAnswers(cached, store, pk, params)) cached = undefined;
    if (!cached) {
      const parsed = parse(query);
      const documents = store.documents(pk);
      cached = { parsed, lsn: store.lsn, expires: store.firstExpiry(documents), results: execute(parsed, documents, params) };
      this.resultCache.delete(cacheKey);
      this.resultCache.set(cacheKey, cached);
      if (this.resultCache.size > 32) this.resultCache.delete(this.resultCache.keys().next().value);
    }
    this.page(store, cached.results, hash, req, send);
  }

  page(store, items, hash, req, send) {
    const offset = startOffset(req.headers["x-ms-continuation"], hash);
    const size = pageSize(req);
    const documents = items.slice(offset, offset + size);
    const headers = { "x-ms-item-count": String(documents.length), "x-ms-cosmos-query-requiresdistribution": "false" };
    if (offset + size < items.length) {
      headers["x-ms-continuation"] = Buffer.from(JSON.stringify({ h: hash, o: offset + size })).toString("base64");
    }
    send(200, { _rid: store.rid, Documents: documents, _count: documents.length }, headers);
  }

  /** Incremental (latest version) change feed: the continuation is the LSN carried in the ETag. */
  changeFeed(store, pk, req, send) {
    const ifNoneMatch = req.headers["if-none-match"];
    let since = 0;
    if (ifNoneMatch === "*") since = store.lsn;
    else if (ifNoneMatch) since = Number.parseInt(String(ifNoneMatch).replace(/"/g, ""), 10) || 0;
    else if (req.headers["if-modified-since"]) {
      const from = Date.parse(req.headers["if-modified-since"]) / 1000;
      since = Math.max(0, ...store.documents(pk).filter(d => d._ts < from).map(d => d._lsn));
    }
    const size = pageSize(req);
    const changes = store.changesSince(pk, since).slice(0, size);
    const last = changes.length ? changes[changes.length - 1]._lsn : Math.max(since, store.lsn);
    const etag = `"${last}"`;
    if (!changes.length) {
      send(304, null, { etag, "x-ms-item-count": "0" });
      return;
    }
    send(200, { _rid: store.rid, Documents: changes, _count: changes.length }, { etag, "x-ms-item-count": String(changes.length) });
  }
}

/**
 * Whether a query's cached results are still its answer: no write since they were computed touched a document the
 * query reads (neither the version before the write nor the one after it yields a row). Paging a query with offsets
 * then stays linear while other documents of the partition change between pages, as an export's job document does.
 */
function stillAnswers(cached, store, pk, params) {
  // A document that expires leaves without a write: the results last until the first expiry among those read.
  if (Date.now() / 1000 >= cached.expires) return false;
  const writes = store.writesSince(cached.lsn);
  if (!writes) return false;
  // Whether the document passes FROM, JOIN and WHERE, whatever the projection, aggregate, order or TOP does with it.
  const probe = { ...cached.parsed, select: { kind: "literal", value: 1 }, value: true, distinct: false, groupBy: null, orderBy: null, top: null, offset: null, limit: null };
  const yields = doc => doc !== undefined && execute(probe, [doc], params).length > 0;
  for (const write of writes) {
    if (pk !== undefined && write.pk !== pk) continue;
    if (write.all || yields(write.before) || yields(write.after)) return false;
  }
  cached.lsn = store.lsn;
  return true;
}

function toParameters(parameters) {
  const map = new Map();
  for (const p of parameters || []) map.set(p.name, p.value);
  return map;
}

module.exports = { DocumentRoutes };
