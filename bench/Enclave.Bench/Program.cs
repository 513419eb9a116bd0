using System.Globalization;
using Enclave.Bench;

// Runs the benchmarks. Usage: scripts/bench.sh rewrites bench/RESULTS.md with all of them;
// scripts/bench.sh <group>… (access, emulator, fhir, coldstart, export, audit, quota) runs only those and prints their figures.
var groups = new Dictionary<string, Func<Task<List<BenchResult>>>>(StringComparer.OrdinalIgnoreCase)
{
    ["access"] = AccessPolicyBenchmarks.RunAsync,
    ["emulator"] = EmulatorBenchmarks.RunAsync,
    ["fhir"] = FhirApiBenchmarks.RunAsync,
    ["coldstart"] = ColdStartBenchmarks.RunAsync,
    ["export"] = ExportBenchmarks.RunAsync,
    ["audit"] = AuditBenchmarks.RunAsync,
    ["quota"] = QuotaBenchmarks.RunAsync,
};
if (args.FirstOrDefault(a => !groups.ContainsKey(a)) is { } unknown)
{
    Console.Error.WriteLine($"Unknown benchmark group '{unknown}'; the groups are {string.Join(", ", groups.Keys)}.");
    return 2;
}

var results = new List<BenchResult>();
foreach (var (name, run) in groups.Where(g => args.Length == 0 || args.Contains(g.Key, StringComparer.OrdinalIgnoreCase)))
{
    results.AddRange(await run());
}

if (args.Length > 0)
{
    foreach (var r in results)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Group} | {r.Name} | {r.Value:0.##} {r.Unit}"));
    }

    return 0;
}

var path = ResultsFile.Write(results);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {results.Count} results to {path}"));
return 0;
