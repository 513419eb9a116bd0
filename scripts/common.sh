# Shared by scripts/run.sh and scripts/test.sh: find the tools and install what the repository pins.
set -euo pipefail

ENCLAVE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Node.js runs the local emulators; Debian's package is enough (>= 20).
ensure_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Installing Node.js and npm (Debian packages)..." >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
}

ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required (https://dotnet.microsoft.com/download)." >&2
    exit 1
  fi
}

# Installs the emulators' pinned packages when node_modules is missing or older than the lockfile.
ensure_emulator_packages() {
  ensure_node
  local dir="$ENCLAVE_ROOT/tools/emulators"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "Installing the local emulators (npm ci in tools/emulators)..." >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}
