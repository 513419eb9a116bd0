using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Enclave.Testing;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// The app run as <c>dotnet run</c> runs it, i.e. as its own local host: its own process (its own stack, so a crash
/// is the process's, not the test host's), app settings as environment variables, <c>--urls</c> on a free port,
/// polled on <c>GET /api/health</c> until it answers.
/// </summary>
internal sealed class HandlerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HandlerProcess(Process process, int port, IReadOnlyDictionary<string, string?> settings)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(60) };
        Settings = settings;
    }

    /// <summary>A client of the handler's port.</summary>
    public HttpClient Http { get; }

    /// <summary>The settings the handler was started with.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>Whether the process has ended (crashed, for a test that did not stop it).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts the built handler against the emulators and waits until it answers.</summary>
    public static async Task<HandlerProcess> StartAsync()
    {
        var endpoints = await LocalEmulators.GetAsync();
        var settings = AppSettings.For(TestSettings.CosmosOptions(endpoints), TestSettings.StorageOptions(endpoints));
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(Directory(), "Enclave.Functions.dll"), "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"])
        {
            WorkingDirectory = Directory(),
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in AppSettings.AsEnvironment(settings))
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = null;

        var handler = new HandlerProcess(Process.Start(start)!, port, settings);
        _ = handler._process.StandardOutput.ReadToEndAsync();
        _ = handler._process.StandardError.ReadToEndAsync();
        await handler.WaitUntilAnsweringAsync();
        return handler;
    }

    private async Task WaitUntilAnsweringAsync()
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(_process.HasExited, $"The handler exited with code {(_process.HasExited ? _process.ExitCode : 0)}.");
            try
            {
                using var response = await Http.GetAsync(new Uri("/api/health", UriKind.Relative));
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
        }

        Assert.Fail("The app did not answer GET /api/health within 60 s.");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    /// <summary>The Functions project's own build output, in the configuration these tests were built in.</summary>
    private static string Directory()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent!.Name;
        return Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions", "bin", configuration, testOutput.Name);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
