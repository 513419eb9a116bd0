#!/usr/bin/env bash
# Runs the whole test suite (the fixtures start the emulators themselves) and ends with the line
# "N passed, N failed[, N skipped]" counted from the TRX results. Extra arguments go to dotnet test.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_dotnet
ensure_emulator_packages

results="$ENCLAVE_ROOT/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test "$ENCLAVE_ROOT/Functions.sln" --logger trx --results-directory "$results" "$@" || status=$?

expected=$(find "$ENCLAVE_ROOT/tests" -name '*.Tests.csproj' | wc -l)
node - "$results" "$expected" <<'JS' || status=1
const fs = require("fs"), path = require("path");
const [dir, expected] = [process.argv[2], Number(process.argv[3])];
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => f.endsWith(".trx")) : [];
let passed = 0, failed = 0, skipped = 0;
for (const file of files) {
  const xml = fs.readFileSync(path.join(dir, file), "utf8");
  const counters = /<Counters\s([^>]*)\/>/.exec(xml);
  if (!counters) { failed += 1; continue; }
  const get = name => Number((new RegExp(`\\b${name}="(\\d+)"`).exec(counters[1]) || [])[1] || 0);
  passed += get("passed");
  failed += get("failed") + get("error") + get("timeout") + get("aborted");
  skipped += get("notExecuted");
}
// A test assembly that crashed before writing its results counts as a failure.
failed += Math.max(0, expected - files.length);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(failed > 0 ? 1 : 0);
JS
exit "$status"
