using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Enclave.Storage.Cosmos;
using Enclave.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Enclave.Bench;

/// <summary>
/// The FHIR API over real HTTP (Kestrel on loopback, bearer token, the whole pipeline) against raw SDK calls on the
/// same documents and the same emulator, measured side by side in one run, plus Cosmos requests per interaction.
/// </summary>
internal static class FhirApiBenchmarks
{
    private const string Group = "FHIR API over HTTP against the raw Cosmos SDK (same emulator, same documents)";
    private const string RoundTrips = "Cosmos DB requests per FHIR interaction (SDK request handler count)";
    private const int Resources = 300;
    private const int InFlight = 16;
    private const int Rounds = 3;

    public static async Task<List<BenchResult>> RunAsync()
    {
        await using var emulators = await EmulatorProcess.StartAsync();
        var cosmos = TestSettings.CosmosOptions(emulators.Endpoints);
        var settings = AppSettings.For(cosmos, TestSettings.StorageOptions(emulators.Endpoints));
        var port = FreePort();
        // WebApplicationFactory looks for the app's content root beside the solution; tell it where the app lives.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ENCLAVE_FUNCTIONS", Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions"));
        await using var app = new BenchApp(settings);
        app.UseKestrel(port);
        app.StartServer();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var superAdmin = await TokenAsync(http, settings["Auth:BootstrapClientId"]!, settings["Auth:BootstrapClientSecret"]!);
        var (projectId, token) = await NewProjectAsync(http, superAdmin);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var organizations = new[] { await CreateAsync(http, """{"resourceType":"Organization","name":"Clinic 1"}"""), await CreateAsync(http, """{"resourceType":"Organization","name":"Clinic 2"}""") };
        var ids = new List<string>();
        for (var i = 0; i < Resources; i++)
        {
            using var created = await http.PostAsync(new Uri("/api/fhir/R4/Patient", UriKind.Relative), new StringContent(
                $$$"""{"resourceType":"Patient","gender":"{{{(i % 2 == 0 ? "female" : "male")}}}","name":[{"family":"Bench{{{i}}}","given":["Ann","Marie"]}],"birthDate":"1980-01-{{{1 + (i % 28):00}}}","address":[{"line":["{{{i}}} Main Street"],"city":"Springfield","postalCode":"12345"}],"managingOrganization":{"reference":"Organization/{{{organizations[i / 2 % 2]}}}"}}""",
                Encoding.UTF8, "application/fhir+json"));
            created.EnsureSuccessStatusCode();
            ids.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }

        using var client = CosmosClientFactory.Create(cosmos, new Azure.Identity.DefaultAzureCredential());
        var container = client.GetContainer(cosmos.DatabaseName, cosmos.ContainerName);
        var partition = new PartitionKey(projectId);

        async Task RawReadAsync(int i)
        {
            using var response = await container.ReadItemStreamAsync($"Patient:{ids[i % ids.Count]}", partition);
            response.EnsureSuccessStatusCode();
            using var body = new MemoryStream();
            await response.Content.CopyToAsync(body);
        }

        // ADR 0005 answers every read only once its audit record is durable: the raw side of that is the same point read
        // and then one batch creating a copy of a stored audit record (the API's group commit shares one batch among the
        // reads in flight; this side writes one per read).
        var audit = await AuditRecordAsync(container, projectId);
        async Task RawAuditedReadAsync(int i)
        {
            await RawReadAsync(i);
            using var response = await container.CreateTransactionalBatch(partition)
                .CreateItemStream(new MemoryStream(Encoding.UTF8.GetBytes(audit.Replace("\"audit:bench\"", $"\"audit:bench-{Guid.NewGuid():N}\"", StringComparison.Ordinal))))
                .ExecuteAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"The audit batch answered {(int)response.StatusCode}.");
            }
        }

        async Task HttpReadAsync(int i)
        {
            using var response = await http.GetAsync(new Uri($"/api/fhir/R4/Patient/{ids[i % ids.Count]}", UriKind.Relative));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }

        // The query the API runs for this search, projection included (the search index stays in the database on both sides).
        const string Sql = "SELECT c.resourceType, c.resourceId, c.versionId, c.lastUpdated, c.deleted, c.resource, c._etag FROM c "
            + "WHERE c.projectId = @p AND c.kind = 'resource' AND c.resourceType = 'Patient' AND NOT c.deleted "
            + "AND EXISTS(SELECT VALUE t FROM t IN c.idx[\"gender\"] WHERE t.c = @g) ORDER BY c.lastUpdated DESC";

        async Task RawSearchAsync(int i)
        {
            var query = new QueryDefinition(Sql).WithParameter("@p", projectId).WithParameter("@g", i % 2 == 0 ? "female" : "male");
            using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions
            {
                PartitionKey = partition,
                MaxItemCount = 20,
                EnableOptimisticDirectExecution = true,
            });
            using var response = await iterator.ReadNextAsync();
            response.EnsureSuccessStatusCode();
            using var body = new MemoryStream();
            await response.Content.CopyToAsync(body);
        }

        async Task HttpSearchAsync(int i)
        {
            using var response = await http.GetAsync(new Uri($"/api/fhir/R4/Patient?gender={(i % 2 == 0 ? "female" : "male")}&_count=20", UriKind.Relative));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }

        // The floor: a read of an id no resource can have, with the same bearer header: the invocation step runs (token,
        // cached caller, format) and the function answers 404 without touching Cosmos. Beside it, the bare hop: a Kestrel
        // endpoint that does nothing, on the same HttpClient: what loopback HTTP itself costs here.
        async Task HttpFloorAsync(int i)
        {
            using var response = await http.GetAsync(new Uri("/api/fhir/R4/Patient/not!an!id", UriKind.Relative));
            await response.Content.ReadAsByteArrayAsync();
        }

        await using var bare = await BareKestrelAsync();
        var bareUrl = new Uri($"{bare.Urls.First()}/bare");
        async Task BareHopAsync(int i)
        {
            using var response = await http.GetAsync(bareUrl);
            await response.Content.ReadAsByteArrayAsync();
        }

        // ENCLAVE_BENCH_LOOP=floor|read|search: only that API call, 10,000 times, for a profiler to watch (no figures written).
        if (Environment.GetEnvironmentVariable("ENCLAVE_BENCH_LOOP") is { } loop)
        {
            var operation = loop switch { "floor" => (Func<int, Task>)HttpFloorAsync, "read" => HttpReadAsync, _ => HttpSearchAsync };
            var meter = CpuMeter.Start(emulators.ProcessId);
            var rate = await Measure.RateAsync(10_000, InFlight, operation);
            var (self, emulatorCpu, allocated) = meter.PerCall(10_000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{loop}: {rate:0} calls/s, {self:0} µs CPU here and {emulatorCpu:0} µs in the emulator per call, {allocated:0} bytes allocated per call"));
            return [];
        }

        var emulator = emulators.ProcessId;
        var results = new List<BenchResult>();
        var (_, floor) = await CompareAsync(results, emulator, "HTTP floor", BareHopAsync, HttpFloorAsync,
            "bare: a Kestrel endpoint answering a fixed 404 body; API: GET /Patient/not!an!id with the bearer header (authenticated, 404 without Cosmos)", "bare Kestrel");
        var (rawRead, apiRead) = await CompareAsync(results, emulator, "read", RawReadAsync, HttpReadAsync, "raw: ReadItemStreamAsync of the resource document; API: GET /Patient/{id} with a bearer token");
        results.Add(new(Group, "read: API − HTTP floor − raw read", apiRead - floor - rawRead, "ms", "the app's own FHIR work per read, from the medians above"));
        await CompareAsync(results, emulator, "audited read", RawAuditedReadAsync, HttpReadAsync,
            "raw: the same point read, then one TransactionalBatch creating a copy of a stored audit record (the durable record ADR 0005 requires before a read answers, without group commit); API: GET /Patient/{id}");
        await CompareAsync(results, emulator, "search page (20 of 150 matches)", RawSearchAsync, HttpSearchAsync,
            "raw: the same parameterised query, one page; API: GET /Patient?gender=…&_count=20");
        results.AddRange(await PolicySearchOverheadAsync(http, projectId, organizations[0]));
        results.AddRange(await CountRoundTripsAsync(http, app.Services.GetRequiredService<CosmosRequestMetrics>(), ids[0]));
        return results;
    }

    /// <summary>
    /// The same search page for the project admin (no policy) and for a member whose MSO policy
    /// (<c>Patient?organization=%organization</c>) sees half the patients: the filter rides in the same one query.
    /// </summary>
    private static async Task<List<BenchResult>> PolicySearchOverheadAsync(HttpClient http, string projectId, string organization)
    {
        const string Group = "Access policies";
        await SendAsync(http, HttpMethod.Put, "/api/fhir/R4/AccessPolicy/mso",
            """{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":"Patient?organization=%organization"}]}""");
        using var created = await SendAsync(http, HttpMethod.Post, $"/api/admin/projects/{projectId}/client", """{"name":"member"}""");
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var membership = System.Text.Json.Nodes.JsonNode.Parse(body.GetProperty("membership").GetRawText())!.AsObject();
        membership["access"] = System.Text.Json.Nodes.JsonNode.Parse(
            $$$"""[{"policy":{"reference":"AccessPolicy/mso"},"parameter":[{"name":"organization","valueReference":{"reference":"Organization/{{{organization}}}"}}]}]""");
        (await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/ProjectMembership/{membership["id"]}", membership.ToJsonString())).Dispose();
        var member = await TokenAsync(http, body.GetProperty("client").GetProperty("id").GetString()!, body.GetProperty("client").GetProperty("secret").GetString()!);

        Func<int, Task> Search(string? bearer) => async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/fhir/R4/Patient?gender={(i % 2 == 0 ? "female" : "male")}&_count=20", UriKind.Relative));
            if (bearer is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            }

            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        };

        var (pl, fl, pr, fr, _, _) = await Measure.SideBySideAsync(Search(null), Search(member), Rounds, InFlight);
        return
        [
            new(Group, "search page, no policy: median latency", pl, "ms", $"GET /Patient?gender=…&_count=20 as the project admin; 300 sequential calls, median of {Rounds} rounds"),
            new(Group, "search page, MSO policy: median latency", fl, "ms", "the same search by a member whose policy sees one of two organisations (filter in the query)"),
            new(Group, "search page: policy / no policy latency", fl / pl, "×", "the policy's cost on a search page"),
            new(Group, "search page: no policy / policy throughput", pr / fr, "×", $"2000 calls, {InFlight} in flight; time per search under load, policy relative to none"),
        ];
    }

    /// <summary>One of the project's audit records as stored (an AuditEvent document with its index), without the fields Cosmos DB adds and unsealed.</summary>
    private static async Task<string> AuditRecordAsync(Container container, string projectId)
    {
        var query = new QueryDefinition("SELECT TOP 1 * FROM c WHERE c.projectId = @p AND c.kind = 'audit'").WithParameter("@p", projectId);
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(projectId) });
        using var page = await iterator.ReadNextAsync();
        page.EnsureSuccessStatusCode();
        var record = System.Text.Json.Nodes.JsonNode.Parse(page.Content)!["Documents"]![0]!.AsObject().DeepClone().AsObject();
        foreach (var added in new[] { "_rid", "_self", "_etag", "_attachments", "_ts", "_lsn", "chain" })
        {
            record.Remove(added);
        }

        record["id"] = "audit:bench"; // each copy gets an id of its own
        return record.ToJsonString();
    }

    private static async Task<string> CreateAsync(HttpClient http, string json)
    {
        using var response = await http.PostAsync(new Uri($"/api/fhir/R4/{JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()}", UriKind.Relative),
            new StringContent(json, Encoding.UTF8, "application/fhir+json"));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string json)
    {
        var response = await http.SendAsync(new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/fhir+json"),
        });
        response.EnsureSuccessStatusCode();
        return response;
    }

    /// <summary>
    /// Latency (one at a time) and throughput (<see cref="InFlight"/> at once), rounds interleaved, medians compared,
    /// with what one call costs in CPU (this process: client, app and SDK; the emulator) and allocations.
    /// </summary>
    private static async Task<(double Raw, double Api)> CompareAsync(List<BenchResult> results, int emulator, string name, Func<int, Task> raw, Func<int, Task> api,
        string notes, string rawLabel = "raw SDK")
    {
        var m = await Measure.SideBySideAsync(raw, api, Rounds, InFlight, emulator);
        results.Add(new(Group, $"{name}: {rawLabel}, median latency", m.LatencyA, "ms", $"{notes}; 300 sequential calls, median of {Rounds} rounds"));
        results.Add(new(Group, $"{name}: API, median latency", m.LatencyB, "ms", "same calls through HTTP"));
        results.Add(new(Group, $"{name}: {rawLabel}, throughput", m.RateA, "ops/s", $"2000 calls, {InFlight} in flight"));
        results.Add(new(Group, $"{name}: API, throughput", m.RateB, "ops/s", $"2000 calls, {InFlight} in flight"));
        results.Add(new(Group, $"{name}: API / {rawLabel} throughput", m.RateB / m.RateA, "×", $"API throughput relative to {rawLabel}, same run, {InFlight} in flight (for read and search, the issue's ratio)"));
        foreach (var (label, cost) in new[] { (rawLabel, m.CostA), ("API", m.CostB) })
        {
            results.Add(new(Group, $"{name}: {label}, CPU per call", cost.SelfMicroseconds, "µs", $"this process (HTTP client, app, SDK) under load; the emulator spent {cost.EmulatorMicroseconds:0} µs per call"));
            results.Add(new(Group, $"{name}: {label}, allocated per call", cost.AllocatedBytes, "bytes", "this process, GC.GetTotalAllocatedBytes over the throughput rounds"));
        }

        return (m.LatencyA, m.LatencyB);
    }

    private static async Task<List<BenchResult>> CountRoundTripsAsync(HttpClient http, CosmosRequestMetrics metrics, string patientId)
    {
        async Task<long> CountAsync(HttpMethod method, string path, string? body = null, string contentType = "application/fhir+json", string? ifNoneExist = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, contentType);
            }

            if (ifNoneExist is not null)
            {
                request.Headers.Add("If-None-Exist", ifNoneExist);
            }

            var before = metrics.Requests;
            using var response = await http.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            return metrics.Requests - before;
        }

        var id = Guid.NewGuid().ToString();
        var figures = new (string Name, long Requests, string Notes)[]
        {
            ("create", await CountAsync(HttpMethod.Post, "/api/fhir/R4/Patient", """{"resourceType":"Patient","gender":"other"}"""), "one TransactionalBatch: current + version document"),
            ("create with a reference", await CountAsync(HttpMethod.Post, "/api/fhir/R4/Observation",
                $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patientId}}}"}}"""), "one query checks every reference, then the batch"),
            ("read", await CountAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{patientId}"), "point read"),
            ("vread", await CountAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{patientId}/_history/1"), "point read of the version document"),
            ("update (create-on-update)", await CountAsync(HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","gender":"male"}"""), "read, then batch"),
            ("update", await CountAsync(HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","gender":"female"}"""), "read, then batch (replace guarded by ETag, version, supersededAt)"),
            ("patch", await CountAsync(HttpMethod.Patch, $"/api/fhir/R4/Patient/{id}", """[{"op":"replace","path":"/gender","value":"other"}]""", "application/json-patch+json"), "read, then batch"),
            ("search page", await CountAsync(HttpMethod.Get, "/api/fhir/R4/Patient?gender=female&_count=10"), "one query (optimistic direct execution)"),
            ("history page", await CountAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history"), "one query"),
            ("conditional create", await CountAsync(HttpMethod.Post, "/api/fhir/R4/Patient", """{"resourceType":"Patient","gender":"unknown"}""", ifNoneExist: "gender=unknown"),
                "guard point read, search, batch with the guard"),
            ("delete", await CountAsync(HttpMethod.Delete, $"/api/fhir/R4/Patient/{id}"), "read, then batch"),
            ("transaction of 3 creates with references", await CountAsync(HttpMethod.Post, "/api/fhir/R4", $$$"""
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"fullUrl":"urn:uuid:0b3a4c1e-7d2f-4a8e-9c5b-1e2d3f4a5b6c","resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
                  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:0b3a4c1e-7d2f-4a8e-9c5b-1e2d3f4a5b6c"}},"request":{"method":"POST","url":"Observation"}},
                  {"resource":{"resourceType":"Observation","status":"final","code":{"text":"y"},"subject":{"reference":"Patient/{{{patientId}}}"}},"request":{"method":"POST","url":"Observation"}}]}
                """), "reference check per entry with references to stored resources, then one batch"),
        };
        return [.. figures.Select(f => new BenchResult(RoundTrips, f.Name, f.Requests, "requests", f.Notes))];
    }

    internal static async Task<string> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var response = await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative), new FormUrlEncodedContent(
            [new("grant_type", "client_credentials"), new("client_id", clientId), new("client_secret", secret)]));
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    internal static async Task<(string ProjectId, string Token)> NewProjectAsync(HttpClient http, string superAdmin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/admin/projects", UriKind.Relative))
        {
            Content = new StringContent("""{"name":"Bench"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", superAdmin);
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Creating the bench project answered {(int)response.StatusCode}.");
        }

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var client = body.RootElement.GetProperty("client");
        return (body.RootElement.GetProperty("project").GetProperty("id").GetString()!,
            await TokenAsync(http, client.GetProperty("id").GetString()!, client.GetProperty("secret").GetString()!));
    }

    /// <summary>A Kestrel app with one endpoint that answers a fixed small FHIR body: the cost of the HTTP hop alone.</summary>
    private static async Task<WebApplication> BareKestrelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var body = Encoding.UTF8.GetBytes("""{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}""");
        app.MapGet("/bare", () => Results.Bytes(body, "application/fhir+json"));
        await app.StartAsync();
        return app;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// The real app (found through a type of its assembly: the bench has its own Program) with the bench's settings,
    /// served by Kestrel; <paramref name="services"/> may replace some of its services (registered after the app's own).
    /// </summary>
    internal sealed class BenchApp(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null) : WebApplicationFactory<Enclave.Functions.Auth.Caller>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            builder.ConfigureLogging(logging => logging.ClearProviders().SetMinimumLevel(LogLevel.Warning));
            if (services is not null)
            {
                builder.ConfigureServices(services);
            }
        }
    }
}
