#!/usr/bin/env bash
# Runs the benchmarks in bench/ (Release build) and rewrites bench/RESULTS.md with the figures, date and machine.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_dotnet
ensure_emulator_packages
dotnet run -c Release --project "$ENCLAVE_ROOT/bench/Enclave.Bench" -- "$@"
