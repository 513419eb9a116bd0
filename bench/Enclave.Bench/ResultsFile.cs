using System.Globalization;
using System.Text;
using Enclave.Testing;

namespace Enclave.Bench;

/// <summary>Writes bench/RESULTS.md: date, machine, command, then a table per group.</summary>
internal static class ResultsFile
{
    public static string Write(IReadOnlyList<BenchResult> results)
    {
        var path = Path.Combine(LocalEmulators.RepositoryRoot, "bench", "RESULTS.md");
        var text = new StringBuilder();
        text.AppendLine("# Benchmark results").AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"* Date: {TimeProvider.System.GetUtcNow():yyyy-MM-dd HH:mm} UTC");
        text.AppendLine(CultureInfo.InvariantCulture, $"* Machine: {Machine()}");
        text.AppendLine("* Command: `scripts/bench.sh`");
        text.AppendLine("* Client and emulator share the machine's cores; figures are for comparison within one run, not absolute.");
        foreach (var group in results.GroupBy(r => r.Group))
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {group.Key}").AppendLine();
            text.AppendLine("| measurement | value | unit | how |").AppendLine("|---|---:|---|---|");
            foreach (var r in group)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Value:0.##} | {r.Unit} | {r.Notes} |");
            }
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {memory:0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }
}
