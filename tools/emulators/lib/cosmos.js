"use strict";
// Enclave's local Cosmos DB. @vercel/cosmosdb-server is loaded as a library: its account model (databases,
// collections, documents) and its route table do the work, while the request loop is Enclave's own so that
// interceptors can answer first wherever the stock server falls short of what the .NET SDK needs.
const http = require("http");
const { randomUUID } = require("crypto");
const Account = require("@vercel/cosmosdb-server/lib/account").default;
const route = require("@vercel/cosmosdb-server/lib/routes").default;
const {
  default: partitionKeyHeader,
  parsePartitionKey,
} = require("@vercel/cosmosdb-server/lib/utils/get-partition-from-header");

const DOC_PATH = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs\/([^/]+)$/;

/**
 * Each interceptor answers a request itself and returns a body (with res.statusCode set), or returns undefined
 * to leave the request to the stock route table.
 * @type {Array<(account: Account, req: http.IncomingMessage, res: http.ServerResponse) => object | undefined>}
 */
const interceptors = [
  // The stock server throws (500) when a point read misses; Cosmos answers 404.
  function pointReadOfMissingItem(account, req, res) {
    if (req.method !== "GET") return undefined;
    const match = DOC_PATH.exec(new URL(req.url, "http://x").pathname);
    if (!match) return undefined;
    const [dbId, collId, docId] = match.slice(1).map(decodeURIComponent);
    const collection = account.database(dbId).collection(collId);
    if (!collection.read()) return undefined;
    const header = partitionKeyHeader(req);
    let partitionKey;
    try {
      partitionKey = header ? parsePartitionKey(header, docId) : undefined;
    } catch {
      return undefined;
    }
    if (collection.document(docId, partitionKey).read()) return undefined;
    res.statusCode = 404;
    return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
  },
];

async function handle(account, req, res) {
  let body;
  try {
    body = interceptors.reduce((answer, intercept) => answer ?? intercept(account, req, res), undefined);
    if (body === undefined) {
      const matched = route(req);
      if (matched) {
        const [params, handler] = matched;
        body = await handler(account, req, res, params);
      } else {
        res.statusCode = 400;
        body = { code: "BadRequest", message: `No route for ${req.method} ${req.url}` };
      }
    }
  } catch (err) {
    console.error(err);
    res.statusCode = 500;
    body = { code: "InternalServerError", message: String(err && err.message) };
  }
  body = body ?? {};
  if (res.statusCode > 399 && !body.message) body.message = "";
  if (body._etag) res.setHeader("etag", body._etag);
  res.setHeader("content-type", "application/json");
  res.setHeader("content-location", `http://${req.headers.host}${req.url}`);
  res.setHeader("x-ms-activity-id", randomUUID());
  res.setHeader("x-ms-request-charge", "1");
  if (req.headers["a-im"] && res.statusCode === 200) {
    if (req.headers["if-none-match"]) res.statusCode = 304;
    res.setHeader("etag", "1");
  }
  res.end(JSON.stringify(body));
}

/** Creates the Cosmos DB server: plain HTTP with keep-alive; the account is created once the port is known. */
function createCosmosServer() {
  let account;
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(account, req, res).catch(err => {
      console.error(err);
      if (!res.writableEnded) {
        res.statusCode = 500;
        res.end("");
      }
    });
  });
  server.on("listening", () => {
    const { address, port } = server.address();
    account = new Account(address, port);
  });
  return server;
}

module.exports = { createCosmosServer };
