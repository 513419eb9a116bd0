using System.Globalization;
using Enclave.Bench;

// Runs the benchmarks and rewrites bench/RESULTS.md. Usage: scripts/bench.sh
var results = new List<BenchResult>();
results.AddRange(AccessPolicyBenchmarks.Run());
results.AddRange(await EmulatorBenchmarks.RunAsync());
results.AddRange(await FhirApiBenchmarks.RunAsync());
results.AddRange(await ColdStartBenchmarks.RunAsync());
var path = ResultsFile.Write(results);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {results.Count} results to {path}"));
