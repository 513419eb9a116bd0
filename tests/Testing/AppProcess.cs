using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Enclave.Testing;

/// <summary>
/// The built or published app started as <c>dotnet run</c> starts it, i.e. as its own local host: its own process
/// (its own stack, so a crash is the process's, not the caller's), settings as environment variables, <c>--urls</c>
/// on a free port, and polled with a request until it answers 200.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AppProcess(Process process, HttpClient http, IReadOnlyDictionary<string, string?> settings)
    {
        _process = process;
        Http = http;
        Settings = settings;
    }

    /// <summary>A client of the app's port.</summary>
    public HttpClient Http { get; }

    /// <summary>The settings the app was started with.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>The most physical memory the process has held so far (its peak working set, VmHWM on Linux).</summary>
    public long PeakWorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.PeakWorkingSet64;
        }
    }

    /// <summary>Whether the process has ended (crashed, for a caller that did not stop it).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <c>Enclave.Functions.dll</c> of <paramref name="folder"/> in Development with <paramref name="settings"/>
    /// and returns once <paramref name="probe"/> (with <paramref name="token"/> as bearer, if given) answers 200.
    /// </summary>
    public static async Task<AppProcess> StartAsync(string folder, IReadOnlyDictionary<string, string?> settings, string probe = "/api/health",
        string? token = null, bool quiet = false)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(folder, "Enclave.Functions.dll"), "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"])
        {
            WorkingDirectory = folder,
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
        if (quiet)
        {
            start.Environment["Logging__LogLevel__Default"] = "Warning";
        }

        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(60) };
        var app = new AppProcess(Process.Start(start)!, http, settings);
        _ = app._process.StandardOutput.ReadToEndAsync();
        _ = app._process.StandardError.ReadToEndAsync();
        await app.WaitUntilAnsweringAsync(probe, token);
        return app;
    }

    private async Task WaitUntilAnsweringAsync(string probe, string? token)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The app exited with code {_process.ExitCode}.");
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(probe, UriKind.Relative));
                if (token is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                }

                using var response = await Http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"{probe} answered {(int)response.StatusCode} at start.");
                }

                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(5);
            }
        }

        throw new TimeoutException($"The app did not answer {probe} within 60 s.");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
