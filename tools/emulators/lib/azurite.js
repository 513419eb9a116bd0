"use strict";
// Azurite runs as a child process of the launcher (its own CLI), on ports the launcher chose.
const { spawn } = require("child_process");
const path = require("path");

const AZURITE_CLI = path.join(path.dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");

/**
 * Starts Azurite's blob, queue and table services on the given loopback ports. With `dataDir` the data persists
 * there; without it Azurite keeps everything in memory.
 * @returns {import("child_process").ChildProcess}
 */
function startAzurite({ host, blobPort, queuePort, tablePort, dataDir }) {
  const args = [
    AZURITE_CLI,
    "--blobHost", host, "--blobPort", String(blobPort),
    "--queueHost", host, "--queuePort", String(queuePort),
    "--tableHost", host, "--tablePort", String(tablePort),
    "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
    ...(dataDir ? ["--location", dataDir] : ["--inMemoryPersistence"]),
  ];
  return spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
}

module.exports = { startAzurite };
