using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Enclave.Testing;

namespace Enclave.Bench;

/// <summary>
/// Noisy neighbours (ADR 0006): five quiet projects read at a steady pace while one hot project sends ten times its
/// <c>quotaRequestsPerSecond</c>, against the same five alone, in alternating phases of one run on one app and one
/// emulator. The quiet projects' p50 and p99 with the hot one, over their p50 and p99 without it, are the ratios, each
/// over every round's latencies pooled (a p99 of one 8-second phase rests on its eight slowest reads); the hot
/// project's answers are counted by status (429s expected, no 5xx).
/// </summary>
internal static class QuotaBenchmarks
{
    private const string Group = "Quotas: five quiet projects beside one hot project ten times over its rate quota (same app, same run)";
    private const int Quiet = 5;
    private const int QuietPerSecond = 20;
    private const int HotQuota = 30;
    private const int HotPerSecond = 300;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(8);
    private const int Rounds = 4;

    public static async Task<List<BenchResult>> RunAsync()
    {
        await using var emulators = await EmulatorProcess.StartAsync();
        var settings = AppSettings.For(TestSettings.CosmosOptions(emulators.Endpoints), TestSettings.StorageOptions(emulators.Endpoints));
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ENCLAVE_FUNCTIONS", Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions"));
        var port = FhirApiBenchmarks.FreePort();
        await using var app = new FhirApiBenchmarks.BenchApp(settings);
        app.UseKestrel(port);
        app.StartServer();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var superAdmin = await FhirApiBenchmarks.TokenAsync(admin, settings["Auth:BootstrapClientId"]!, settings["Auth:BootstrapClientSecret"]!);

        var quiet = new List<(HttpClient Http, string Patient)>();
        for (var i = 0; i < Quiet; i++)
        {
            quiet.Add(await ProjectAsync(port, superAdmin, quota: null));
        }

        var hot = await ProjectAsync(port, superAdmin, HotQuota);
        var (without, beside) = (new List<double>(), new List<double>());
        var hotStatuses = new Dictionary<int, int>();
        await QuietAsync(quiet, TimeSpan.FromSeconds(2)); // warm-up
        for (var round = 0; round < Rounds; round++)
        {
            without.AddRange(await QuietAsync(quiet, s_phase));

            using var stop = new CancellationTokenSource(s_phase);
            var burst = HotAsync(hot, hotStatuses, stop.Token);
            beside.AddRange(await QuietAsync(quiet, s_phase));
            await burst;
        }

        foreach (var (http, _) in quiet.Append(hot))
        {
            http.Dispose();
        }

        var (withoutP50, withoutP99, withP50, withP99) = (Percentile(without, 0.50), Percentile(without, 0.99), Percentile(beside, 0.50), Percentile(beside, 0.99));
        var phases = $"{Quiet} quiet projects × {QuietPerSecond} reads/s, {Rounds} rounds of {s_phase.TotalSeconds:0} s phases alternating alone / beside the hot one";
        var total = hotStatuses.Values.Sum();
        return
        [
            new(Group, "quiet p50 without the hot project", withoutP50, "ms", $"{phases}; {without.Count} reads"),
            new(Group, "quiet p50 beside the hot project", withP50, "ms", $"{phases}; {beside.Count} reads"),
            new(Group, "quiet p50 beside / without", withP50 / withoutP50, "×", "target ≤ 1.2"),
            new(Group, "quiet p99 without the hot project", withoutP99, "ms", phases),
            new(Group, "quiet p99 beside the hot project", withP99, "ms", phases),
            new(Group, "quiet p99 beside / without", withP99 / withoutP99, "×", "target ≤ 1.2"),
            new(Group, "hot answers that were 429", 100.0 * hotStatuses.GetValueOrDefault(429) / Math.Max(1, total), "%",
                $"{total} reads at {HotPerSecond}/s against quotaRequestsPerSecond {HotQuota}; {hotStatuses.GetValueOrDefault(429)} × 429"),
            new(Group, "hot answers that were 5xx", hotStatuses.Where(s => s.Key >= 500).Sum(s => s.Value), "", "target 0"),
        ];
    }

    /// <summary>A project with one patient, its admin client's token on a client of its own, and optionally a rate quota.</summary>
    private static async Task<(HttpClient Http, string Patient)> ProjectAsync(int port, string superAdmin, int? quota)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var (projectId, token) = await FhirApiBenchmarks.NewProjectAsync(http, superAdmin);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var created = await http.PostAsync(new Uri("/api/fhir/R4/Patient", UriKind.Relative),
            new StringContent("""{"resourceType":"Patient","name":[{"family":"Quota"}]}""", Encoding.UTF8, "application/fhir+json"));
        created.EnsureSuccessStatusCode();
        var patient = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        if (quota is { } perSecond)
        {
            var project = JsonNode.Parse(await http.GetStringAsync(new Uri($"/api/fhir/R4/Project/{projectId}", UriKind.Relative)))!.AsObject();
            project["setting"] = new JsonArray(new JsonObject { ["name"] = "quotaRequestsPerSecond", ["valueDecimal"] = perSecond });
            using var put = await http.PutAsync(new Uri($"/api/fhir/R4/Project/{projectId}", UriKind.Relative),
                new StringContent(project.ToJsonString(), Encoding.UTF8, "application/fhir+json"));
            put.EnsureSuccessStatusCode();
        }

        return (http, patient);
    }

    /// <summary>Every quiet project reads its patient at its pace for <paramref name="duration"/>: each read's latency, in ms.</summary>
    private static async Task<List<double>> QuietAsync(List<(HttpClient Http, string Patient)> projects, TimeSpan duration)
    {
        var latencies = new List<double>();
        await Task.WhenAll(projects.Select(async project =>
        {
            var pace = TimeSpan.FromSeconds(1.0 / QuietPerSecond);
            var start = Stopwatch.GetTimestamp();
            for (var n = 0; Stopwatch.GetElapsedTime(start) < duration; n++)
            {
                var wait = (pace * n) - Stopwatch.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var sent = Stopwatch.GetTimestamp();
                using var response = await project.Http.GetAsync(new Uri($"/api/fhir/R4/Patient/{project.Patient}", UriKind.Relative));
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                lock (latencies)
                {
                    latencies.Add(elapsed);
                }
            }
        }));
        return latencies;
    }

    /// <summary>The hot project reads at <see cref="HotPerSecond"/> (eight in flight at most) until stopped, counting answers by status.</summary>
    private static async Task HotAsync((HttpClient Http, string Patient) hot, Dictionary<int, int> statuses, CancellationToken stop)
    {
        using var inFlight = new SemaphoreSlim(8);
        var pace = TimeSpan.FromSeconds(1.0 / HotPerSecond);
        var start = Stopwatch.GetTimestamp();
        var sends = new List<Task>();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var wait = (pace * n) - Stopwatch.GetElapsedTime(start);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, CancellationToken.None);
            }

            await inFlight.WaitAsync(CancellationToken.None);
            sends.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await hot.Http.GetAsync(new Uri($"/api/fhir/R4/Patient/{hot.Patient}", UriKind.Relative));
                    await response.Content.ReadAsByteArrayAsync();
                    lock (statuses)
                    {
                        statuses[(int)response.StatusCode] = statuses.GetValueOrDefault((int)response.StatusCode) + 1;
                    }
                }
                catch (HttpRequestException)
                {
                    lock (statuses)
                    {
                        statuses[(int)HttpStatusCode.ServiceUnavailable] = statuses.GetValueOrDefault((int)HttpStatusCode.ServiceUnavailable) + 1;
                    }
                }
                finally
                {
                    inFlight.Release();
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(sends);
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
