using System.Diagnostics;
using System.Text.Json;

namespace Enclave.Testing;

/// <summary>Runs a node script of a folder of pinned npm packages (installed first) and reads the JSON it prints last.</summary>
public static class NodeScript
{
    /// <summary>
    /// Runs <paramref name="script"/> in <paramref name="folder"/> with <paramref name="environment"/> added, within
    /// <paramref name="timeout"/>: the JSON value of its last output line, or an exception saying why there is none
    /// (its stderr when it failed).
    /// </summary>
    public static async Task<JsonElement> RunAsync(string folder, string script, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        await NpmInstall.EnsureAsync(folder);
        var start = new ProcessStartInfo("node", [script])
        {
            WorkingDirectory = folder,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var node = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        try
        {
            await node.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} ran for more than {timeout}.");
        }

        if (node.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} failed with exit code {node.ExitCode}: {await errors}");
        }

        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? JsonDocument.Parse(lines[^1]).RootElement.Clone() : throw new InvalidOperationException($"node {script} printed nothing.");
    }
}
