using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Bench;

/// <summary>
/// What the audit trail costs (ADR 0005): the same app twice, side by side in one run on one emulator and one
/// database — as built, and with its records not stored (an audit trail that drops appends, and commits that carry no
/// record) — so the difference is what storing a record costs a read and a write. Building a record (the AuditEvent,
/// its index, its JSON) happens in both; its CPU is measured on its own.
/// </summary>
internal static class AuditBenchmarks
{
    private const string Group = "Audit trail: the app with its records against the same app storing none (same emulator, same run)";
    private const int Resources = 300;
    private const int InFlight = 16;
    private const int Rounds = 3;

    public static async Task<List<BenchResult>> RunAsync()
    {
        await using var emulators = await EmulatorProcess.StartAsync();
        var settings = AppSettings.For(TestSettings.CosmosOptions(emulators.Endpoints), TestSettings.StorageOptions(emulators.Endpoints));
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_ENCLAVE_FUNCTIONS", Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions"));
        var (auditedPort, unauditedPort) = (FhirApiBenchmarks.FreePort(), FhirApiBenchmarks.FreePort());
        await using var audited = new FhirApiBenchmarks.BenchApp(settings);
        audited.UseKestrel(auditedPort);
        audited.StartServer();
        await using var unaudited = new FhirApiBenchmarks.BenchApp(settings, services =>
        {
            services.AddSingleton<IAuditTrail, DroppedAuditTrail>();
            services.AddSingleton<IResourceStore>(sp => new UnrecordedStore(
                new Storage.Fhir.CosmosResourceStore(sp.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), sp.GetRequiredService<TimeProvider>())));
        });
        unaudited.UseKestrel(unauditedPort);
        unaudited.StartServer();

        using var withRecords = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{auditedPort}") };
        using var withoutRecords = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{unauditedPort}") };
        var superAdmin = await FhirApiBenchmarks.TokenAsync(withRecords, settings["Auth:BootstrapClientId"]!, settings["Auth:BootstrapClientSecret"]!);
        var (_, token) = await FhirApiBenchmarks.NewProjectAsync(withRecords, superAdmin);
        foreach (var http in new[] { withRecords, withoutRecords })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        var ids = new List<string>();
        for (var i = 0; i < Resources; i++)
        {
            ids.Add(await CreateAsync(withoutRecords, i));
        }

        Func<int, Task> Read(HttpClient http) => async i =>
        {
            using var response = await http.GetAsync(new Uri($"/api/fhir/R4/Patient/{ids[i % ids.Count]}", UriKind.Relative));
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        };

        Func<int, Task> Create(HttpClient http) => async i => await CreateAsync(http, i);

        var results = new List<BenchResult>();
        foreach (var (name, without, with, notes) in new[]
        {
            ("read", Read(withoutRecords), Read(withRecords), "GET /Patient/{id}: the record is appended (one more Cosmos request) before the answer"),
            ("create", Create(withoutRecords), Create(withRecords), "POST /Patient: the record is one more create in the write's own batch"),
        })
        {
            var m = await Measure.SideBySideAsync(without, with, Rounds, InFlight, emulators.ProcessId);
            results.Add(new(Group, $"{name}: no records, median latency", m.LatencyA, "ms", $"{notes}; 300 sequential calls, median of {Rounds} rounds"));
            results.Add(new(Group, $"{name}: with records, median latency", m.LatencyB, "ms", "the same calls to the app as built"));
            results.Add(new(Group, $"{name}: with / without records, latency", m.LatencyB / m.LatencyA, "×", "what the record adds to one call's latency"));
            results.Add(new(Group, $"{name}: with / without records, throughput", m.RateB / m.RateA, "×", $"2000 calls, {InFlight} in flight; the issue's ratio"));
            results.Add(new(Group, $"{name}: emulator CPU per call, without → with", m.CostB.EmulatorMicroseconds - m.CostA.EmulatorMicroseconds, "µs",
                $"{m.CostA.EmulatorMicroseconds:0} → {m.CostB.EmulatorMicroseconds:0} µs: the database's share of storing a record"));
        }

        results.Add(BuildCost());
        return results;
    }

    /// <summary>CPU to build one read's record on one core: the AuditEvent, its search index and its JSON.</summary>
    private static BenchResult BuildCost()
    {
        var time = TimeProvider.System;
        static void Once(TimeProvider time, int i)
        {
            var audit = new InteractionAudit(time);
            audit.Begin("FhirRead", AuditInteraction.Rest("read", "R"), "trace", "127.0.0.1");
            audit.Attribute("project", new AuditAgent("membership", "Practitioner/p", "ClientApplication/c", null), TimeSpan.FromDays(2192));
            audit.Concerns($"Patient/{i}/_history/1");
            _ = audit.Complete(200, null);
        }

        for (var i = 0; i < 2000; i++)
        {
            Once(time, i);
        }

        const int Count = 20_000;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Count; i++)
        {
            Once(time, i);
        }

        return new(Group, "building one record", watch.Elapsed.TotalMicroseconds / Count, "µs", $"CPU per record on one core, {Count} records: AuditEvent, search index, JSON (in both apps above)");
    }

    private static async Task<string> CreateAsync(HttpClient http, int i)
    {
        using var created = await http.PostAsync(new Uri("/api/fhir/R4/Patient", UriKind.Relative), new StringContent(
            $$$"""{"resourceType":"Patient","gender":"{{{(i % 2 == 0 ? "female" : "male")}}}","name":[{"family":"Audit{{{i}}}","given":["Ann"]}],"birthDate":"1980-01-{{{1 + (i % 28):00}}}"}""",
            Encoding.UTF8, "application/fhir+json"));
        created.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The baseline's trail: appends are dropped (nothing else is asked of it in these calls).</summary>
    private sealed class DroppedAuditTrail : IAuditTrail
    {
        public IProjectAuditTrail For(string projectId) => new Dropped();

        private sealed class Dropped : IProjectAuditTrail
        {
            public Task<bool> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken) => Task.FromResult(true);

            public Task<StoredResource?> ReadAsync(string id, CancellationToken cancellationToken) => Task.FromResult<StoredResource?>(null);

            public Task<(IReadOnlyList<StoredResource> Events, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken) =>
                Task.FromResult<(IReadOnlyList<StoredResource>, string?)>(([], null));

            public Task<int> RedactAsync(IReadOnlySet<string> erased, CancellationToken cancellationToken) => Task.FromResult(0);

            public Task<int> SealAsync(CancellationToken cancellationToken) => Task.FromResult(0);

            public Task<int> SealAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken) => Task.FromResult(0);

            public Task<AuditHead?> HeadAsync(CancellationToken cancellationToken) => Task.FromResult<AuditHead?>(null);

            public IAsyncEnumerable<AuditLink> ChainAsync(DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken) => AsyncEnumerable.Empty<AuditLink>();
        }
    }

    /// <summary>The baseline's store: the Cosmos store, with commits that carry no audit record.</summary>
    private sealed class UnrecordedStore(IResourceStore inner) : IResourceStore
    {
        public IProjectResources For(ProjectScope scope) => new Unrecorded(inner.For(scope));

        private sealed class Unrecorded(IProjectResources inner) : IProjectResources
        {
            public ProjectScope Scope => inner.Scope;

            public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken) => inner.ReadAsync(resourceType, id, cancellationToken);

            public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken) =>
                inner.ReadVersionAsync(resourceType, id, versionId, cancellationToken);

            public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string? resourceType, string? id, DateTimeOffset? since, DateRange? at, int count,
                string? page, CancellationToken cancellationToken) => inner.HistoryAsync(resourceType, id, since, at, count, page, cancellationToken);

            public Task<(IReadOnlyList<StoredResource> Resources, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken) =>
                inner.SearchAsync(request, page, cancellationToken);

            public Task<int> CountAsync(SearchRequest request, CancellationToken cancellationToken) => inner.CountAsync(request, cancellationToken);

            public Task<IReadOnlyList<string>> SelectReferencesAsync(SearchRequest request, string? referenceCode, int limit, CancellationToken cancellationToken) =>
                inner.SelectReferencesAsync(request, referenceCode, limit, cancellationToken);

            public Task<IReadOnlyList<StoredResource>> ReadManyAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken) =>
                inner.ReadManyAsync(references, cancellationToken);

            public Task<IReadOnlySet<string>> ExistingAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken) =>
                inner.ExistingAsync(references, cancellationToken);

            public Task<string?> ReadGuardAsync(string key, CancellationToken cancellationToken) => inner.ReadGuardAsync(key, cancellationToken);

            public Task<int> ExpungeAsync(string resourceType, string id, CancellationToken cancellationToken) => inner.ExpungeAsync(resourceType, id, cancellationToken);

            public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> VersionsAsync(string resourceType, DateTimeOffset upTo, bool currentOnly, int count,
                string? page, CancellationToken cancellationToken) => inner.VersionsAsync(resourceType, upTo, currentOnly, count, page, cancellationToken);

            public Task<bool> AnyAsync(CancellationToken cancellationToken) => inner.AnyAsync(cancellationToken);

            public Task<(int Removed, IReadOnlyList<string> Resources)> ExpungeVersionsInAsync(string compartment, int limit, CancellationToken cancellationToken) =>
                inner.ExpungeVersionsInAsync(compartment, limit, cancellationToken);

            public Task RestoreAsync(IReadOnlyList<StoredResource> versions, CancellationToken cancellationToken) => inner.RestoreAsync(versions, cancellationToken);

            public Task<IReadOnlyList<StoredResource>?> CommitAsync(IReadOnlyList<ResourceWrite> writes, IReadOnlyList<CommitGuard> guards, IReadOnlyList<AuditEntry> audit,
                CancellationToken cancellationToken) => inner.CommitAsync(writes, guards, [], cancellationToken);
        }
    }
}
