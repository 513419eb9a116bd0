using System.Collections.Concurrent;
using System.Reflection;

namespace Enclave.Testing;

/// <summary>
/// The Cosmos DB and Azure Storage endpoints tests run against: a real account when the environment names one
/// (<c>ENCLAVE_TEST_COSMOS_ENDPOINT</c> [+ <c>ENCLAVE_TEST_COSMOS_KEY</c>], <c>ENCLAVE_TEST_STORAGE_CONNECTION_STRING</c>),
/// otherwise the local emulators of <c>tools/emulators</c>, started once per test process and stopped with it.
/// </summary>
public static class LocalEmulators
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<EmulatorEndpoints>>> s_endpoints = new();

    /// <summary>The query-plan modes of the Cosmos emulator (see tools/emulators): CI runs query tests in both.</summary>
    public static IReadOnlyList<string> QueryPlanModes { get; } = ["passthrough", "faithful"];

    /// <summary>The repository root, recorded at build time.</summary>
    public static string RepositoryRoot { get; } =
        typeof(LocalEmulators).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "EnclaveRoot").Value!;

    /// <summary>The endpoints, starting the emulators (passthrough query plans) on first use.</summary>
    public static Task<EmulatorEndpoints> GetAsync() => GetAsync(QueryPlanModes[0]);

    /// <summary>The endpoints of emulators whose Cosmos DB answers query plans in <paramref name="queryPlanMode"/>.</summary>
    public static Task<EmulatorEndpoints> GetAsync(string queryPlanMode) =>
        s_endpoints.GetOrAdd(queryPlanMode, mode => new Lazy<Task<EmulatorEndpoints>>(() => StartAsync(mode))).Value;

    private static async Task<EmulatorEndpoints> StartAsync(string queryPlanMode)
    {
        var cosmos = Environment.GetEnvironmentVariable("ENCLAVE_TEST_COSMOS_ENDPOINT");
        var storage = Environment.GetEnvironmentVariable("ENCLAVE_TEST_STORAGE_CONNECTION_STRING");
        if (!string.IsNullOrEmpty(cosmos) && !string.IsNullOrEmpty(storage))
        {
            return new EmulatorEndpoints(new Uri(cosmos), Environment.GetEnvironmentVariable("ENCLAVE_TEST_COSMOS_KEY"), storage, IsEmulator: false);
        }

        var emulators = await EmulatorProcess.StartAsync("--query-plan", queryPlanMode);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => emulators.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        return emulators.Endpoints;
    }
}
