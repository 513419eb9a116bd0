using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Enclave.Api.Tests.Auth;
using Enclave.Testing;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// <c>scripts/run.sh</c> as a user runs it: when the app process dies, the script says so and starts it again, and
/// the emulators and their data survive (issue 13 §9).
/// </summary>
public sealed class RunScriptTests
{
    [Fact]
    public async Task When_the_app_dies_run_sh_restarts_it_and_the_data_survives()
    {
        var port = FreePort();
        var data = Directory.CreateTempSubdirectory("enclave-run-");
        var start = new ProcessStartInfo("bash", [Path.Combine(LocalEmulators.RepositoryRoot, "scripts", "run.sh")])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ENCLAVE_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["ENCLAVE_DATA_DIR"] = data.FullName;
        start.Environment["ASPNETCORE_URLS"] = null;
        using var script = Process.Start(start)!;
        var output = new StringBuilder();
        script.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}") };
        try
        {
            await WaitForHealthAsync(http, script, output);
            var secret = await File.ReadAllTextAsync(Path.Combine(data.FullName, "dev-admin-secret"));
            var admin = await AuthClient.TokenAsync(http, "enclave-admin", secret);
            var project = await AuthClient.CreateProjectAsync(http, admin, "Survives a crash");
            var app = AppProcess(port);

            app.Kill();
            await app.WaitForExitAsync();
            await WaitForHealthAsync(http, script, output);

            Assert.Contains("restarting it", Text(output), StringComparison.Ordinal);
            Assert.NotEqual(app.Id, AppProcess(port).Id);
            Assert.False(string.IsNullOrEmpty(await AuthClient.TokenAsync(http, project.ClientId, project.Secret)), "the project made before the crash is still there");
        }
        finally
        {
            foreach (var child in Children(script.Id))
            {
                Kill(child);
            }

            Kill(script.Id);
            await script.WaitForExitAsync();
            data.Delete(recursive: true);
        }
    }

    private static async Task WaitForHealthAsync(HttpClient http, Process script, StringBuilder output)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(4))
        {
            Assert.False(script.HasExited, $"run.sh exited: {Text(output)}");
            try
            {
                using var response = await http.GetAsync(new Uri("/api/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        Assert.Fail($"The app did not become healthy: {Text(output)}");
    }

    /// <summary>The app's own process: the one whose command line serves this port.</summary>
    private static Process AppProcess(int port)
    {
        var marker = $"--urls http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var id = Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0)
            .Where(pid => CommandLine(pid).Contains(marker, StringComparison.Ordinal) && CommandLine(pid).Contains("Enclave.Functions", StringComparison.Ordinal))
            .Order().Last();
        return Process.GetProcessById(id);
    }

    private static List<int> Children(int parent) =>
        Directory.GetDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0).Where(pid => pid > 0 && ParentOf(pid) == parent)
            .SelectMany(pid => Children(pid).Append(pid)).ToList();

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
