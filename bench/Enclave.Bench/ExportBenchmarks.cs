using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;

namespace Enclave.Bench;

/// <summary>
/// System-level <c>$export</c> of one type at 20,000 and 100,000 resources, by the app's own process (the local host,
/// its queue poller, the emulators): resources per second from kick-off to manifest and the process's peak working set
/// (a fresh process per size), against the emulator's raw paged read of the same documents in the same run.
/// </summary>
internal static class ExportBenchmarks
{
    private const string Group = "Bulk Data export of Patients (local host process, published ReadyToRun, default Export settings) against the raw paged read";
    private const int InFlight = 16;

    /// <summary>
    /// Rounds per size: a 20,000-resource export and its raw read take about half a second each, and single rounds of
    /// either side range over ±30 % on this machine (one slow spell of the emulator moved the export ÷ raw median of
    /// nine rounds by 0.05), so the short size gets many cheap rounds; a 100,000-resource round takes about six seconds
    /// and varies less.
    /// </summary>
    private static int RoundsFor(int size) => size <= 20_000 ? 21 : 7;

    /// <summary>
    /// Exports a fresh process runs before it is measured: the hot paths of a ReadyToRun build are rejitted at full
    /// optimisation during the first few exports (rounds after one warm-up export ran about a tenth slower than later ones).
    /// </summary>
    private const int WarmUpExports = 3;

    public static async Task<List<BenchResult>> RunAsync()
    {
        // The app as it is deployed (ReadyToRun, scripts/package.sh): a JIT-only build runs a young process's hot loops
        // as unoptimised tier-0 code for seconds, which a 20,000-resource export would mostly measure.
        var folder = await ColdStartBenchmarks.PublishAsync(Path.Combine(Path.GetTempPath(), $"enclave-export-bench-{Guid.NewGuid():N}"), readyToRun: true);
        try
        {
            return await MeasureAsync(folder);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<List<BenchResult>> MeasureAsync(string folder)
    {
        await using var emulators = await EmulatorProcess.StartAsync();
        var cosmos = TestSettings.CosmosOptions(emulators.Endpoints);
        var settings = AppSettings.For(cosmos, TestSettings.StorageOptions(emulators.Endpoints));
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200";
        string projectId, clientId, secret;
        await using (var first = await AppProcess.StartAsync(folder, settings, quiet: true))
        {
            (projectId, clientId, secret) = await NewProjectAsync(first.Http, settings);
        }

        settings["Cosmos:CreateIfNotExists"] = "false";
        using var client = CosmosClientFactory.Create(cosmos, new Azure.Identity.DefaultAzureCredential());
        var container = client.GetContainer(cosmos.DatabaseName, cosmos.ContainerName);
        var store = new CosmosResourceStore(container, TimeProvider.System).For(ProjectScope.Of(projectId));

        var results = new List<BenchResult>();
        var seeded = 0;
        var peaks = new Dictionary<int, double>();
        foreach (var size in new[] { 20_000, 100_000 })
        {
            var seeding = Stopwatch.StartNew();
            await SeedAsync(store, seeded, size);
            seeded = size;
            Console.Error.WriteLine($"export bench: {size} patients seeded in {seeding.Elapsed.TotalSeconds:0} s");

            // Freshly written documents read slowly for a while (the emulator settles): both sides start after that.
            for (var settle = 0; settle < 3; settle++)
            {
                await RawReadAsync(container, projectId, size);
            }

            // A fresh process per size, so that its peak working set is this export's.
            await using var app = await AppProcess.StartAsync(folder, settings, quiet: true);
            var token = await TokenAsync(app.Http, clientId, secret);
            var cold = await ExportAsync(app.Http, container, projectId, token, size);
            for (var warm = 1; warm < WarmUpExports; warm++)
            {
                await ExportAsync(app.Http, container, projectId, token, size);
            }

            var (rates, clientRates, raws) = (new List<double>(), new List<double>(), new List<double>());
            var rounds = RoundsFor(size);
            for (var round = 0; round < rounds; round++)
            {
                // Interleaved, and in turn first, so that a slow spell of the machine or the emulator falls on both sides alike.
                if (round % 2 == 1)
                {
                    raws.Add(await RawReadAsync(container, projectId, size));
                }

                var (job, seen) = await ExportAsync(app.Http, container, projectId, token, size);
                rates.Add(size / job);
                clientRates.Add(size / seen);
                if (round % 2 == 0)
                {
                    raws.Add(await RawReadAsync(container, projectId, size));
                }

                Console.Error.WriteLine($"export bench: {size} patients, round {round + 1}: export {rates[^1]:0}/s ({clientRates[^1]:0}/s to the client), raw {raws[^1]:0}/s");
            }

            var peak = app.PeakWorkingSet / 1048576.0;
            peaks[size] = peak;
            var (rate, raw) = (Median(rates), Median(raws));
            string Each(List<double> values) => string.Join(", ", values.Select(r => r.ToString("0", CultureInfo.InvariantCulture)));
            results.Add(new(Group, $"{size:N0}: export", rate, "resources/s",
                $"the job's own time, kick-off (T) to its completion as recorded (the local host starts the first step at once; Azure's host polls: ADR 0004), {size:N0} Patients (≈0.5 KB), page 1000; median of {rounds} after the process's first {WarmUpExports} ({Each(rates)})"));
            results.Add(new(Group, $"{size:N0}: export as the client sees it", Median(clientRates), "resources/s",
                $"kick-off request to the manifest, polling every 100 ms ({Each(clientRates)})"));
            results.Add(new(Group, $"{size:N0}: first export of a fresh process", size / cold.Job, "resources/s", "the job's own time, with the app's start-up JIT in it"));
            results.Add(new(Group, $"{size:N0}: raw paged read", raw, "documents/s",
                $"the export's own query through the SDK (its projection, _lastUpdated ≤ now, ORDER BY lastUpdated DESC), pages of 1000; median of {rounds}, interleaved with the exports ({Each(raws)})"));
            var paired = rates.Zip(raws, (e, r) => (e / r).ToString("0.00", CultureInfo.InvariantCulture));
            results.Add(new(Group, $"{size:N0}: export ÷ raw", rate / raw, "×",
                $"target ≥ 0.8; unrounded {(rate / raw).ToString("0.000", CultureInfo.InvariantCulture)}; each round's export ÷ the raw read beside it: {string.Join(", ", paired)}"));
            results.Add(new(Group, $"{size:N0}: peak working set of the app", peak, "MB", $"the app process's VmHWM after its {WarmUpExports + rounds} exports, start-up included"));
        }

        results.Add(new(Group, "peak working set 100k ÷ 20k", peaks[100_000] / peaks[20_000], "×", "target within 1.10"));
        return results;
    }

    /// <summary>Patients <paramref name="from"/>…<paramref name="to"/> written as the store writes them (<see cref="ProjectSeeding"/>).</summary>
    private static async System.Threading.Tasks.Task SeedAsync(IProjectResources store, int from, int to)
    {
        var patients = Enumerable.Range(from, to - from).Select(i => (Resource)new Patient
        {
            Id = $"p{i:D7}",
            Gender = i % 2 == 0 ? AdministrativeGender.Female : AdministrativeGender.Male,
            Name = [new HumanName { Family = $"Bench{i}", Given = ["Ann", "Marie"] }],
            BirthDate = $"1980-01-{1 + (i % 28):00}",
            Address = [new Address { Line = [$"{i} Main Street"], City = "Springfield", PostalCode = "12345" }],
        }).ToList();
        await ProjectSeeding.CommitAsync(store, patients, DateTimeOffset.UtcNow.AddMinutes(-5), InFlight);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>
    /// The emulator's own rate for what the export reads: the query the export's search sends (the stored-resource
    /// projection, bounded by the export's time), paged as the export pages it, each page's documents parsed.
    /// </summary>
    private static async Task<double> RawReadAsync(Container container, string projectId, int expected)
    {
        var query = new QueryDefinition("SELECT c.resourceType, c.resourceId, c.versionId, c.lastUpdated, c.deleted, c.resource, c._etag FROM c"
            + " WHERE c.projectId = @p AND c.kind = 'resource' AND c.resourceType = 'Patient' AND NOT c.deleted AND (c.lastUpdated <= @t) ORDER BY c.lastUpdated DESC")
            .WithParameter("@p", projectId).WithParameter("@t", Domain.Search.DateRange.Text(DateTimeOffset.UtcNow));
        var clock = Stopwatch.StartNew();
        var read = 0;
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(projectId), MaxItemCount = 1000 });
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            using var body = await JsonDocument.ParseAsync(page.Content);
            read += body.RootElement.GetProperty("_count").GetInt32();
        }

        if (read != expected)
        {
            throw new InvalidOperationException($"The raw read found {read} patients, not {expected}.");
        }

        return read / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// One export of the <paramref name="expected"/> Patients: the job's own seconds (T to the completion it recorded,
    /// both the app's clock) and the client's (kick-off request to manifest).
    /// </summary>
    private static async Task<(double Job, double Client)> ExportAsync(HttpClient http, Container container, string projectId, string token, int expected)
    {
        var clock = Stopwatch.StartNew();
        using var kickoff = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/$export?_type=Patient", token);
        if (kickoff.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"The kick-off answered {(int)kickoff.StatusCode}.");
        }

        var status = kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
        while (clock.Elapsed < TimeSpan.FromMinutes(20))
        {
            using var poll = await SendAsync(http, HttpMethod.Get, status, token);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                var seconds = clock.Elapsed.TotalSeconds;
                var manifest = JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement;
                var count = manifest.GetProperty("output").EnumerateArray().Sum(o => o.GetProperty("count").GetInt64());
                if (count != expected)
                {
                    throw new InvalidOperationException($"The export of {expected} patients listed {count}.");
                }

                using var read = await container.ReadItemStreamAsync($"export:{status[(status.LastIndexOf('/') + 1)..]}", new PartitionKey(projectId));
                read.EnsureSuccessStatusCode();
                var job = JsonDocument.Parse(read.Content).RootElement.GetProperty("job");
                var took = job.GetProperty("SteppedAt").GetDateTimeOffset() - job.GetProperty("TransactionTime").GetDateTimeOffset();
                return (took.TotalSeconds, seconds);
            }

            if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"The status answered {(int)poll.StatusCode}: {await poll.Content.ReadAsStringAsync()}");
            }

            await System.Threading.Tasks.Task.Delay(100);
        }

        throw new TimeoutException("The export did not complete within 20 minutes.");
    }

    private static async Task<(string ProjectId, string ClientId, string Secret)> NewProjectAsync(HttpClient http, Dictionary<string, string?> settings)
    {
        var superAdmin = await TokenAsync(http, settings["Auth:BootstrapClientId"]!, settings["Auth:BootstrapClientSecret"]!);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/admin/projects", UriKind.Relative))
        {
            Content = new StringContent("""{"name":"Export bench"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", superAdmin);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var client = body.GetProperty("client");
        return (body.GetProperty("project").GetProperty("id").GetString()!, client.GetProperty("id").GetString()!, client.GetProperty("secret").GetString()!);
    }

    private static async Task<string> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var response = await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative), new FormUrlEncodedContent(
            [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)]));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, string token)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
        return await http.SendAsync(request);
    }
}
