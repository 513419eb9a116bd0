"use strict";
// Azurite runs as a child process of the launcher (its own CLI). Ports default to 0: Azurite binds free ones
// itself and reports them, so concurrent launchers never race for a port.
const { spawn } = require("child_process");
const path = require("path");
const readline = require("readline");

const AZURITE_CLI = path.join(path.dirname(require.resolve("azurite/package.json")), "dist", "src", "azurite.js");
const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at https?:\/\/[^:]+:(\d+)/;

/**
 * Starts Azurite's blob, queue and table services on the given loopback ports (0 = any free port). With
 * `dataDir` the data persists there; without it Azurite keeps everything in memory. Resolves once all three
 * services listen, with the ports they chose.
 * @returns {Promise<{child: import("child_process").ChildProcess, blobPort: number, queuePort: number}>}
 */
function startAzurite({ host, blobPort, queuePort, dataDir }, timeoutMs = 60_000) {
  const args = [
    AZURITE_CLI,
    "--blobHost", host, "--blobPort", String(blobPort),
    "--queueHost", host, "--queuePort", String(queuePort),
    "--tableHost", host, "--tablePort", "0",
    "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry",
    ...(dataDir ? ["--location", dataDir] : ["--inMemoryPersistence"]),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    const ports = {};
    const timer = setTimeout(() => { child.kill(); reject(new Error("Azurite did not start in time.")); }, timeoutMs);
    child.once("exit", code => { clearTimeout(timer); reject(new Error(`Azurite exited with code ${code} while starting.`)); });
    readline.createInterface({ input: child.stdout }).on("line", line => {
      const match = LISTENING.exec(line);
      if (!match) return;
      ports[match[1]] = Number(match[2]);
      if (ports.Blob && ports.Queue && ports.Table) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve({ child, blobPort: ports.Blob, queuePort: ports.Queue });
      }
    });
  });
}

module.exports = { startAzurite };
