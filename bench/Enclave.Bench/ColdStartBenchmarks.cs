using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Testing;

namespace Enclave.Bench;

/// <summary>
/// Cold start of the local host: from process start to the first answered authenticated FHIR read, for the app
/// published as scripts/package.sh publishes it (ReadyToRun, linux-x64) and, side by side, without ReadyToRun.
/// The database, the project and the token exist beforehand: the figure is the process's own start.
/// </summary>
internal static class ColdStartBenchmarks
{
    private const string Group = "Cold start of the local host (published build, process start → first authenticated read)";
    private const int Runs = 7;

    public static async Task<List<BenchResult>> RunAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"enclave-coldstart-{Guid.NewGuid():N}");
        try
        {
            var readyToRun = await PublishAsync(Path.Combine(root, "r2r"), readyToRun: true);
            var jit = await PublishAsync(Path.Combine(root, "jit"), readyToRun: false);

            var endpoints = await LocalEmulators.GetAsync();
            var cosmos = TestSettings.CosmosOptions(endpoints);
            var settings = AppSettings.For(cosmos, TestSettings.StorageOptions(endpoints));

            // A first start creates the database and the super admin; then a project, a patient and a token for it.
            string patient, token;
            await using (var first = await AppProcess.StartAsync(readyToRun, settings, quiet: true))
            {
                (patient, token) = await SeedAsync(first.Http, settings);
            }

            settings["Cosmos:CreateIfNotExists"] = "false";
            settings["Storage:CreateIfNotExists"] = "false";
            var r2r = new List<double>();
            var plain = new List<double>();
            for (var i = 0; i < Runs; i++)
            {
                r2r.Add(await TimeToFirstReadAsync(readyToRun, settings, patient, token));
                plain.Add(await TimeToFirstReadAsync(jit, settings, patient, token));
            }

            var median = Measure.Median(r2r);
            var medianJit = Measure.Median(plain);
            return
            [
                new(Group, "ReadyToRun: median", median, "ms", $"{Runs} starts, alternating with the plain build; target < 1000"),
                new(Group, "ReadyToRun: fastest", r2r.Min(), "ms", $"of {Runs} starts"),
                new(Group, "without ReadyToRun: median", medianJit, "ms", $"{Runs} starts of the same publish without -p:PublishReadyToRun"),
                new(Group, "ReadyToRun / plain", median / medianJit, "×", "medians, measured side by side"),
            ];
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>Publishes the app into <paramref name="output"/> as scripts/package.sh does, with or without ReadyToRun.</summary>
    internal static async Task<string> PublishAsync(string output, bool readyToRun)
    {
        var project = Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions", "Enclave.Functions.csproj");
        var start = new ProcessStartInfo("dotnet",
            ["publish", project, "-c", "Release", "-r", "linux-x64", "--self-contained", "false", $"-p:PublishReadyToRun={readyToRun}", "-o", output, "--nologo", "-v", "quiet"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var publish = Process.Start(start)!;
        var log = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync();
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed:\n{await log}\n{await errors}");
        }

        return output;
    }

    private static async Task<double> TimeToFirstReadAsync(string app, Dictionary<string, string?> settings, string patient, string token)
    {
        var clock = Stopwatch.StartNew();
        await using var process = await AppProcess.StartAsync(app, settings, $"/api/fhir/R4/Patient/{patient}", token, quiet: true);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<(string Patient, string Token)> SeedAsync(HttpClient http, Dictionary<string, string?> settings)
    {
        var superAdmin = await TokenAsync(http, settings["Auth:BootstrapClientId"]!, settings["Auth:BootstrapClientSecret"]!);
        using var project = await SendAsync(http, HttpMethod.Post, "/api/admin/projects", superAdmin, """{"name":"Cold start"}""", "application/json");
        using var created = JsonDocument.Parse(await project.Content.ReadAsStringAsync());
        var client = created.RootElement.GetProperty("client");
        var token = await TokenAsync(http, client.GetProperty("id").GetString()!, client.GetProperty("secret").GetString()!);
        using var patient = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, """{"resourceType":"Patient","active":true}""", "application/fhir+json");
        patient.EnsureSuccessStatusCode();
        return (JsonDocument.Parse(await patient.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!, token);
    }

    private static async Task<string> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var response = await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative), new FormUrlEncodedContent(
            [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)]));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string json, string mediaType)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = new StringContent(json, Encoding.UTF8, mediaType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }
}
