#!/usr/bin/env bash
# Runs Enclave on http://127.0.0.1:7071 (ENCLAVE_PORT to change it) with its local emulators started for it.
# Data is kept under .data/ (ENCLAVE_DATA_DIR to change it) between runs. Stop with Ctrl-C: the emulators stop with it.
# If the app process dies, this script says so and starts it again; the emulators and their data keep running.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_dotnet
ensure_emulator_packages

port="${ENCLAVE_PORT:-7071}"
data="${ENCLAVE_DATA_DIR:-$ENCLAVE_ROOT/.data}"
mkdir -p "$data"
ready="$(mktemp)"
node "$ENCLAVE_ROOT/tools/emulators/launcher.js" --data-dir "$data" >"$ready" &
launcher=$!
trap 'kill "$launcher" 2>/dev/null || true; rm -f "$ready"' EXIT

for _ in $(seq 1 600); do
  grep -q '^ENCLAVE_EMULATORS ' "$ready" && break
  kill -0 "$launcher" 2>/dev/null || { echo "The emulators failed to start." >&2; exit 1; }
  sleep 0.1
done
endpoints="$(sed -n 's/^ENCLAVE_EMULATORS //p' "$ready")"
[ -n "$endpoints" ] || { echo "The emulators did not report ready in 60 s." >&2; exit 1; }
field() { node -e 'process.stdout.write(JSON.parse(process.argv[1])[process.argv[2]])' "$endpoints" "$1"; }

# The development super admin: created in the system project on first start; its secret is kept in .data/.
secret_file="$data/dev-admin-secret"
[ -s "$secret_file" ] || (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' >"$secret_file")
export Auth__BootstrapClientId="${ENCLAVE_ADMIN_CLIENT_ID:-enclave-admin}"
export Auth__BootstrapClientSecret="$(cat "$secret_file")"
export Auth__Issuer="http://127.0.0.1:$port/api"

export ASPNETCORE_ENVIRONMENT=Development
export Cosmos__Endpoint="$(field cosmosEndpoint)" Cosmos__Key="$(field cosmosKey)"
export Storage__ConnectionString="$(field storageConnectionString)"
echo "Emulators: Cosmos DB $(field cosmosEndpoint), Blob $(field blobEndpoint), Queue $(field queueEndpoint)"
echo "Enclave:   http://127.0.0.1:$port/api  (FHIR base http://127.0.0.1:$port/api/fhir/R4, health http://127.0.0.1:$port/api/health)"
echo "Super admin (development): client_id=$Auth__BootstrapClientId client_secret=$Auth__BootstrapClientSecret"
dotnet build "$ENCLAVE_ROOT/src/Functions" -v q --nologo >&2
stopping=0 quick=0
trap 'stopping=1' INT TERM
while :; do
  started=$SECONDS
  status=0
  dotnet run --no-build --project "$ENCLAVE_ROOT/src/Functions" --no-launch-profile -- --urls "http://127.0.0.1:$port" || status=$?
  [ "$stopping" = 1 ] || [ "$status" = 0 ] && break
  # A process that keeps dying at start-up (bad settings) would only die again: give up after three quick deaths.
  if [ $((SECONDS - started)) -lt 10 ]; then quick=$((quick + 1)); else quick=0; fi
  if [ "$quick" -ge 3 ]; then
    echo "Enclave exited with status $status three times within 10 s of starting; not restarting it." >&2
    exit "$status"
  fi
  echo "Enclave exited with status $status; restarting it (the emulators and $data keep running)." >&2
done
