using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Enclave.Testing;

/// <summary>
/// The Cosmos DB and Azure Storage endpoints tests run against: a real account when the environment names one
/// (<c>ENCLAVE_TEST_COSMOS_ENDPOINT</c> [+ <c>ENCLAVE_TEST_COSMOS_KEY</c>], <c>ENCLAVE_TEST_STORAGE_CONNECTION_STRING</c>),
/// otherwise the local emulators of <c>tools/emulators</c>, started once per test process and stopped with it.
/// </summary>
public static class LocalEmulators
{
    private const string ReadyPrefix = "ENCLAVE_EMULATORS ";
    private static readonly ConcurrentDictionary<string, Lazy<Task<EmulatorEndpoints>>> s_endpoints = new();

    /// <summary>The query-plan modes of the Cosmos emulator (see tools/emulators): CI runs query tests in both.</summary>
    public static IReadOnlyList<string> QueryPlanModes { get; } = ["passthrough", "faithful"];

    /// <summary>The endpoints, starting the emulators (passthrough query plans) on first use.</summary>
    public static Task<EmulatorEndpoints> GetAsync() => GetAsync(QueryPlanModes[0]);

    /// <summary>The endpoints of emulators whose Cosmos DB answers query plans in <paramref name="queryPlanMode"/>.</summary>
    public static Task<EmulatorEndpoints> GetAsync(string queryPlanMode) =>
        s_endpoints.GetOrAdd(queryPlanMode, mode => new Lazy<Task<EmulatorEndpoints>>(() => StartAsync(mode))).Value;

    /// <summary>The repository root, recorded at build time.</summary>
    public static string RepositoryRoot { get; } =
        typeof(LocalEmulators).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "EnclaveRoot").Value!;

    private static async Task<EmulatorEndpoints> StartAsync(string queryPlanMode)
    {
        var cosmos = Environment.GetEnvironmentVariable("ENCLAVE_TEST_COSMOS_ENDPOINT");
        var storage = Environment.GetEnvironmentVariable("ENCLAVE_TEST_STORAGE_CONNECTION_STRING");
        if (!string.IsNullOrEmpty(cosmos) && !string.IsNullOrEmpty(storage))
        {
            return new EmulatorEndpoints(new Uri(cosmos), Environment.GetEnvironmentVariable("ENCLAVE_TEST_COSMOS_KEY"), storage, IsEmulator: false);
        }

        var emulatorDirectory = Path.Combine(RepositoryRoot, "tools", "emulators");
        await NpmInstall.EnsureAsync(emulatorDirectory);
        var start = new ProcessStartInfo("node", ["launcher.js", "--watch-stdin", "--query-plan", queryPlanMode])
        {
            WorkingDirectory = emulatorDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        var launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(launcher);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await launcher.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                var ready = JsonSerializer.Deserialize<LauncherOutput>(line[ReadyPrefix.Length..])!;
                // Keep draining stdout so the launcher never blocks on a full pipe.
                _ = launcher.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return new EmulatorEndpoints(new Uri(ready.cosmosEndpoint), ready.cosmosKey, ready.storageConnectionString, IsEmulator: true);
            }
        }

        throw new InvalidOperationException($"The emulator launcher exited (code {(launcher.HasExited ? launcher.ExitCode : -1)}) before it was ready.");
    }

    private static void Stop(Process launcher)
    {
        if (!launcher.HasExited)
        {
            launcher.StandardInput.Close();
            if (!launcher.WaitForExit(2000))
            {
                launcher.Kill(entireProcessTree: true);
            }
        }
    }

#pragma warning disable IDE1006, CA1812 // Shape of the launcher's JSON line.
    private sealed record LauncherOutput(string cosmosEndpoint, string cosmosKey, string storageConnectionString);
#pragma warning restore IDE1006, CA1812
}
