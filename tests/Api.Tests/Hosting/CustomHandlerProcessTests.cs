using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Enclave.Testing;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// The handler run as the Functions host runs it: its own process, app settings as environment variables,
/// <c>FUNCTIONS_CUSTOMHANDLER_PORT</c> set, polled on <c>GET /</c> until it answers.
/// </summary>
public sealed class CustomHandlerProcessTests
{
    [Fact]
    public async Task Handler_listens_on_the_port_the_host_gives_and_serves_api_routes()
    {
        var endpoints = await LocalEmulators.GetAsync();
        var cosmos = TestSettings.CosmosOptions(endpoints);
        var storage = TestSettings.StorageOptions(endpoints);
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(HandlerDirectory(), "Enclave.Functions.dll")])
        {
            WorkingDirectory = HandlerDirectory(),
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in AppSettings.AsEnvironment(AppSettings.For(cosmos, storage)))
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = null;
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        using var handler = Process.Start(start)!;
        _ = handler.StandardOutput.ReadToEndAsync();
        _ = handler.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilAnsweringAsync(http, handler);

            using var health = await http.GetAsync(new Uri("/api/health", UriKind.Relative));
            using var metadata = await http.GetAsync(new Uri("/api/fhir/R4/metadata", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        }
        finally
        {
            handler.Kill(entireProcessTree: true);
            await handler.WaitForExitAsync();
        }
    }

    private static async Task WaitUntilAnsweringAsync(HttpClient http, Process handler)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(handler.HasExited, $"The handler exited with code {(handler.HasExited ? handler.ExitCode : 0)}.");
            try
            {
                using var response = await http.GetAsync(new Uri("/", UriKind.Relative));
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200);
            }
        }

        Assert.Fail("The handler did not answer GET / within 60 s.");
    }

    /// <summary>The Functions project's own build output, in the configuration these tests were built in.</summary>
    private static string HandlerDirectory()
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
