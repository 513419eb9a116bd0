using System.Diagnostics;
using System.Text.Json;

namespace Enclave.Testing;

/// <summary>One run of <c>tools/emulators/launcher.js</c>: started, read until ready, stopped as the run command stops it.</summary>
public sealed class EmulatorProcess : IAsyncDisposable
{
    private const string ReadyPrefix = "ENCLAVE_EMULATORS ";
    private readonly Process _launcher;

    private EmulatorProcess(Process launcher, EmulatorEndpoints endpoints)
    {
        _launcher = launcher;
        Endpoints = endpoints;
    }

    /// <summary>Where the emulators of this run listen.</summary>
    public EmulatorEndpoints Endpoints { get; }

    /// <summary>The launcher's process id (it serves both emulators in one process), for benchmarks that meter its CPU.</summary>
    public int ProcessId => _launcher.Id;

    /// <summary>Starts the launcher with <paramref name="arguments"/> and waits until it reports its endpoints.</summary>
    public static async Task<EmulatorProcess> StartAsync(params string[] arguments)
    {
        var directory = Path.Combine(LocalEmulators.RepositoryRoot, "tools", "emulators");
        await NpmInstall.EnsureAsync(directory);
        var start = new ProcessStartInfo("node", ["launcher.js", "--watch-stdin", .. arguments])
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await launcher.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                var ready = JsonSerializer.Deserialize<LauncherOutput>(line[ReadyPrefix.Length..])!;
                // Keep draining stdout so the launcher never blocks on a full pipe.
                _ = launcher.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None);
                return new EmulatorProcess(launcher, new EmulatorEndpoints(
                    new Uri(ready.cosmosEndpoint), ready.cosmosKey, ready.storageConnectionString, IsEmulator: true));
            }
        }

        throw new InvalidOperationException($"The emulator launcher exited (code {(launcher.HasExited ? launcher.ExitCode : -1)}) before it was ready.");
    }

    /// <summary>Stops the emulators the way a parent going away does (standard input closes), and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_launcher.HasExited)
        {
            _launcher.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _launcher.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _launcher.Kill(entireProcessTree: true);
            }
        }

        _launcher.Dispose();
    }

#pragma warning disable IDE1006, CA1812 // Shape of the launcher's JSON line.
    private sealed record LauncherOutput(string cosmosEndpoint, string cosmosKey, string storageConnectionString);
#pragma warning restore IDE1006, CA1812
}
