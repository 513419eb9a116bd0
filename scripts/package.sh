#!/usr/bin/env bash
# Builds the deployable Azure Functions package (dotnet-isolated, .NET 10, ReadyToRun for linux-x64): the app and
# its dependencies, host.json, worker.config.json, functions.metadata and .azurefunctions/, in artifacts/package/ and
# zipped as artifacts/enclave-functions.zip (what Flex Consumption or Elastic Premium deploys; docs/deploy.md).
# Usage: scripts/package.sh [output-folder]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_dotnet

out="${1:-$ENCLAVE_ROOT/artifacts/package}"
rm -rf "$out"
# Framework-dependent: the dotnet-isolated 10.0 runtime of the Function App provides .NET.
dotnet publish "$ENCLAVE_ROOT/src/Functions/Enclave.Functions.csproj" -c Release -r linux-x64 --self-contained false \
  -p:PublishReadyToRun=true -o "$out" --nologo -v quiet
zip_path="$(dirname "$out")/enclave-functions.zip"
rm -f "$zip_path"
command -v zip >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq zip >/dev/null; }
# -r includes the hidden .azurefunctions folder (the host-side extension assemblies).
(cd "$out" && zip -qr "$zip_path" .)
echo "Package: $out"
echo "Zip:     $zip_path"
