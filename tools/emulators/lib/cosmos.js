"use strict";
// Enclave's local Cosmos DB. @vercel/cosmosdb-server is loaded as a library: its account model (databases,
// collections, partition key ranges) and its route table serve the metadata routes, while Enclave's own
// request loop sends every document route to documents.js, which closes the stock server's gaps (query plans,
// SQL, batches, change feed, TTL, ETags, 404/409 answers).
const http = require("http");
const { randomUUID } = require("crypto");
const Account = require("@vercel/cosmosdb-server/lib/account").default;
const route = require("@vercel/cosmosdb-server/lib/routes").default;
const { DocumentStores, CosmosError } = require("./store");
const { DocumentRoutes } = require("./documents");
const { SqlError } = require("./sql/lexer");
const { Persistence } = require("./persistence");

const COLLECTION_OR_DATABASE = /^\/dbs\/([^/]+)(?:\/colls\/([^/]+))?\/?$/;

function createSender(req, res) {
  return (status, body, headers = {}) => {
    res.statusCode = status;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.setHeader("x-ms-activity-id", randomUUID());
    res.setHeader("x-ms-request-charge", "1");
    if (body === null || body === undefined) {
      res.end();
      return;
    }
    if (Buffer.isBuffer(body)) {
      res.end(body);
      return;
    }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(body));
  };
}

/** Drops Enclave's document stores of a collection (or of all collections of a database) being deleted. */
function dropStores(account, stores, req) {
  if (req.method !== "DELETE") return;
  const match = COLLECTION_OR_DATABASE.exec(new URL(req.url, "http://local").pathname);
  if (!match) return;
  const database = account.database(decodeURIComponent(match[1]));
  if (match[2]) {
    const collection = database.collection(decodeURIComponent(match[2])).read();
    if (collection) stores.drop(collection._rid);
  } else if (database.read()) {
    for (const collection of database.collections.read().Documents || []) stores.drop(collection._rid);
  }
}

async function handleStock(account, req, res, send) {
  const matched = route(req);
  if (!matched) {
    send(400, { code: "BadRequest", message: `No route for ${req.method} ${req.url}` });
    return;
  }
  const [params, handler] = matched;
  const body = (await handler(account, req, res, params)) ?? {};
  if (res.statusCode > 399 && !body.message) body.message = "";
  // The partition key ranges never change: an incremental read of them is always "not modified".
  if (req.headers["a-im"] && res.statusCode === 200) {
    send(req.headers["if-none-match"] ? 304 : 200, req.headers["if-none-match"] ? null : body, { etag: "1" });
    return;
  }
  send(res.statusCode, body, body._etag ? { etag: body._etag } : {});
}

/**
 * Creates the Cosmos DB server (plain HTTP, keep-alive). `options.planMode` is "passthrough" (default: the
 * emulator runs whole queries) or "faithful" (real gateway plans; the SDK runs its own query pipeline).
 * With `options.dataDir` the data is loaded from and saved to that folder; otherwise it lives in memory.
 * Call `server.flush()` before exiting to save the last changes.
 */
function createCosmosServer(options = {}) {
  let account;
  const stores = options.stores || new DocumentStores();
  let documents;
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const send = createSender(req, res);
    if (process.env.ENCLAVE_COSMOS_LOG) res.on("finish", () => console.error(`${req.method} ${req.url} -> ${res.statusCode}`));
    (async () => {
      try {
        if (await documents.handle(req, res, send)) return;
        dropStores(account, stores, req);
        await handleStock(account, req, res, send);
      } catch (err) {
        // Unsupported or malformed SQL is the caller's error, never a wrong answer or a 500.
        if (err instanceof SqlError) {
          send(400, { code: "BadRequest", message: err.message });
          return;
        }
        if (err instanceof CosmosError) {
          send(err.status, { code: err.code, message: err.message }, err.subStatus ? { "x-ms-substatus": String(err.subStatus) } : {});
          return;
        }
        console.error(err);
        send(500, { code: "InternalServerError", message: String(err && err.message) });
      }
    })().catch(err => {
      console.error(err);
      if (!res.writableEnded) { res.statusCode = 500; res.end(); }
    });
  });
  server.on("listening", () => {
    const { address, port } = server.address();
    account = new Account(address, port);
    documents = new DocumentRoutes(account, stores, { planMode: options.planMode || "passthrough" });
    if (options.dataDir) {
      persistence = new Persistence(options.dataDir, account, stores);
      persistence.load();
      persistence.start();
    }
  });
  let persistence;
  server.flush = () => persistence && persistence.stop();
  return server;
}

module.exports = { createCosmosServer };
