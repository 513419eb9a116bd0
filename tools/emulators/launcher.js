#!/usr/bin/env node
"use strict";
// Starts Enclave's local emulators — Cosmos DB (lib/cosmos.js) and Azurite — on loopback, waits until both
// answer, prints one line `ENCLAVE_EMULATORS {json}` with their endpoints, and stops when its parent goes away
// (stdin closes or the parent process exits), on SIGINT/SIGTERM, or when the Azurite child dies.
const fs = require("fs");
const path = require("path");
const { createCosmosServer } = require("./lib/cosmos");
const { startAzurite } = require("./lib/azurite");

const USAGE = `Usage: node launcher.js [options]
  --host <addr>          loopback address to bind (default 127.0.0.1)
  --cosmos-port <n>      Cosmos DB port (default 0 = a free port)
  --blob-port <n>        Azurite blob port (default 0 = a free port)
  --queue-port <n>       Azurite queue port (default 0 = a free port)
  --data-dir <dir>       keep the data in this folder, cosmos/ and azurite/ (default: in memory)
  --query-plan <mode>    passthrough (default: the emulator runs whole queries) or faithful (real gateway
                         plans; the SDK runs its own ORDER BY, aggregate and DISTINCT stages)
  --watch-stdin          exit when standard input closes (for parents that hold a pipe)`;

const COSMOS_EMULATOR_KEY =
  "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";
const AZURITE_ACCOUNT = "devstoreaccount1";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

function parseArgs(argv) {
  const options = { host: "127.0.0.1", cosmosPort: 0, blobPort: 0, queuePort: 0, dataDir: undefined, watchStdin: false,
    planMode: process.env.ENCLAVE_COSMOS_QUERY_PLAN || "passthrough" };
  const ports = { "--cosmos-port": "cosmosPort", "--blob-port": "blobPort", "--queue-port": "queuePort" };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg in ports) options[ports[arg]] = Number.parseInt(argv[++i], 10);
    else if (arg === "--host") options.host = argv[++i];
    else if (arg === "--data-dir") options.dataDir = path.resolve(argv[++i]);
    else if (arg === "--watch-stdin") options.watchStdin = true;
    else if (arg === "--query-plan") options.planMode = argv[++i];
    else {
      console.error(arg === "--help" || arg === "-h" ? USAGE : `Unknown option ${arg}\n${USAGE}`);
      process.exit(arg === "--help" || arg === "-h" ? 0 : 2);
    }
  }
  if (!["passthrough", "faithful"].includes(options.planMode)) {
    console.error(`Invalid --query-plan ${options.planMode}\n${USAGE}`);
    process.exit(2);
  }
  for (const key of Object.values(ports)) {
    if (!Number.isInteger(options[key]) || options[key] < 0 || options[key] > 65535) {
      console.error(`Invalid port for ${key}\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { host } = options;
  const dataDir = name => (options.dataDir ? path.join(options.dataDir, name) : undefined);
  const cosmos = createCosmosServer({ planMode: options.planMode, dataDir: dataDir("cosmos") });
  const cosmosPort = await listen(cosmos, options.cosmosPort, host);
  if (options.dataDir) fs.mkdirSync(dataDir("azurite"), { recursive: true });
  const { child: azurite, blobPort, queuePort } = await startAzurite({
    host, blobPort: options.blobPort, queuePort: options.queuePort, dataDir: dataDir("azurite"),
  });

  let stopping = false;
  const stop = code => {
    if (stopping) return;
    stopping = true;
    azurite.kill("SIGTERM");
    cosmos.flush();
    cosmos.close();
    cosmos.closeAllConnections();
    setTimeout(() => process.exit(code), 200).unref();
  };
  azurite.once("exit", () => stop(stopping ? 0 : 1));
  process.on("SIGINT", () => stop(0));
  process.on("SIGTERM", () => stop(0));
  process.on("SIGHUP", () => stop(0));
  if (options.watchStdin) {
    process.stdin.on("end", () => stop(0));
    process.stdin.on("error", () => stop(0));
    process.stdin.resume();
  }
  // A parent killed with SIGKILL sends nothing: notice that this process was re-parented.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) stop(0); }, 500).unref();

  const blob = `http://${host}:${blobPort}/${AZURITE_ACCOUNT}`;
  const queue = `http://${host}:${queuePort}/${AZURITE_ACCOUNT}`;
  const endpoints = {
    cosmosEndpoint: `http://${host}:${cosmosPort}/`,
    cosmosKey: COSMOS_EMULATOR_KEY,
    cosmosQueryPlan: options.planMode,
    blobEndpoint: blob,
    queueEndpoint: queue,
    storageConnectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${blob};QueueEndpoint=${queue};`,
  };
  process.stdout.write(`ENCLAVE_EMULATORS ${JSON.stringify(endpoints)}\n`);
}

main().catch(err => {
  console.error(`Emulators failed to start: ${err && err.stack}`);
  process.exit(1);
});
