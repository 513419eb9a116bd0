#!/usr/bin/env bash
# Builds the deployable Azure Functions package: host.json, the function folders and the self-contained,
# ReadyToRun handler executable for linux-x64, in artifacts/package/ and zipped as artifacts/enclave-functions.zip.
# Usage: scripts/package.sh [output-folder]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_dotnet

out="${1:-$ENCLAVE_ROOT/artifacts/package}"
rm -rf "$out"
dotnet publish "$ENCLAVE_ROOT/src/Functions/Enclave.Functions.csproj" -c Release -r linux-x64 --self-contained \
  -p:PublishReadyToRun=true -o "$out" --nologo -v quiet
zip_path="$(dirname "$out")/enclave-functions.zip"
rm -f "$zip_path"
command -v zip >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq zip >/dev/null; }
# zip keeps the executable bit the Linux Functions host needs to start the handler.
(cd "$out" && zip -qr "$zip_path" .)
echo "Package: $out"
echo "Zip:     $zip_path"
