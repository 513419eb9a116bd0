using System.Net;
using System.Text.Json;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Audit;
using Enclave.Storage.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Storage.Tests.Audit;

/// <summary>
/// The audit trail in Cosmos DB: a write's record commits or fails with the write; sealing chains every record once,
/// however many sealers race; searches and the chain see one project only.
/// </summary>
public sealed class CosmosAuditTrailTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly CosmosResourceStore _store = new(cosmos.Container, TimeProvider.System);
    private readonly CosmosAuditTrail _trail = new(cosmos.Container, TimeProvider.System);

    private static AuditEntry Entry(string projectId, string trace, int status = 200, string entity = "Patient/p1") => new(AuditEvents.Build(new AuditRecord
    {
        Function = "FhirRead",
        Interaction = AuditInteraction.Rest("read", "R"),
        Status = status,
        Recorded = DateTimeOffset.UtcNow,
        Agent = new AuditAgent("m1", null, "ClientApplication/c1", "127.0.0.1"),
        Entities = [entity],
        TraceId = trace,
    }, projectId), TimeSpan.FromDays(1));

    private static StoredResource Version(Resource resource, int version)
    {
        var at = DateTimeOffset.UtcNow;
        resource.Meta = new Meta { VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastUpdated = at };
        return new StoredResource(resource.TypeName, resource.Id!, version, at, false, JsonSerializer.Serialize(resource, ResourceParser.Options), string.Empty)
        {
            Index = ResourceIndexer.Index(resource),
        };
    }

    private async Task<bool> ExistsAsync(string projectId, AuditEntry entry)
    {
        using var response = await cosmos.Container.ReadItemStreamAsync("audit:" + entry.Event.Id, new PartitionKey(projectId));
        return response.StatusCode == HttpStatusCode.OK;
    }

    [Fact]
    public async Task A_writes_record_is_committed_with_it_and_a_failed_write_leaves_none()
    {
        var project = Guid.NewGuid().ToString("N");
        var resources = _store.For(ProjectScope.Of(project));
        var first = Entry(project, "t1");
        var stale = Entry(project, "t2");

        var v1 = (await resources.CommitAsync([new ResourceWrite(Version(new Patient { Id = "p1", Active = true }, 1), null)], [], [first], default))!.Single();
        var lost = await resources.CommitAsync([new ResourceWrite(Version(new Patient { Id = "p1", Active = false }, 2), v1 with { ETag = "\"stale\"" })], [], [stale], default);

        Assert.True(await ExistsAsync(project, first));
        Assert.Null(lost);
        Assert.False(await ExistsAsync(project, stale));
    }

    /// <summary>Records stored unsealed, as a write's batch stores them (only the sealer chains those).</summary>
    private async Task CarriedAsync(string projectId, IReadOnlyList<AuditEntry> entries)
    {
        foreach (var chunk in entries.Chunk(100))
        {
            Assert.NotNull(await _store.For(ProjectScope.Of(projectId)).CommitAsync([], [], chunk, default));
        }
    }

    private static async Task<List<AuditLink>> LinksAsync(IProjectAuditTrail trail)
    {
        var links = new List<AuditLink>();
        await foreach (var link in trail.ChainAsync(null, null, default))
        {
            links.Add(link);
        }

        return links;
    }

    [Fact]
    public async Task Appends_are_sealed_as_they_are_written_even_after_the_head_moved_under_this_instance()
    {
        var project = Guid.NewGuid().ToString("N");
        var trail = _trail.For(project);
        var other = new CosmosAuditTrail(cosmos.Container, TimeProvider.System).For(project); // another instance, with its own idea of the head

        Assert.True(await trail.AppendAsync([Entry(project, "a"), Entry(project, "b")], default));
        await CarriedAsync(project, [Entry(project, "carried")]);
        Assert.Equal(1, await trail.SealAsync(default)); // the sealer moves the head: this instance's cached head is stale
        Assert.True(await other.AppendAsync([Entry(project, "c")], default));
        Assert.True(await trail.AppendAsync([Entry(project, "d")], default));
        var racing = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? trail : other).AppendAsync([Entry(project, $"r{i}")], default)));
        var leftOver = await trail.SealAsync(default);

        var links = await LinksAsync(trail);
        Assert.Equal(racing.Count(r => !r), leftOver); // what could not be sealed as written (the head kept moving) the sealer chains
        Assert.Equal(Enumerable.Range(1, 45).Select(i => (long)i), links.Select(l => l.Sequence));
        Assert.True((await AuditChain.VerifyAsync(links.ToAsyncEnumerable(), await trail.HeadAsync(default), toEnd: true, default)).Intact);
    }

    [Fact]
    public async Task Racing_sealers_chain_every_record_exactly_once()
    {
        var project = Guid.NewGuid().ToString("N");
        var trail = _trail.For(project);
        await CarriedAsync(project, [.. Enumerable.Range(0, 150).Select(i => Entry(project, $"t{i}"))]);

        var sealedCounts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _trail.For(project).SealAsync(default)));
        await CarriedAsync(project, [Entry(project, "late")]);
        var late = await trail.SealAsync(default);

        var links = await LinksAsync(trail);
        var head = await trail.HeadAsync(default);
        Assert.Equal(150, sealedCounts.Sum());
        Assert.Equal(1, late);
        Assert.Equal(Enumerable.Range(1, 151).Select(i => (long)i), links.Select(l => l.Sequence));
        Assert.Equal(new AuditHead(151, links[^1].Hash), head);
        Assert.True((await AuditChain.VerifyAsync(links.ToAsyncEnumerable(), head, toEnd: true, default)).Intact);
    }

    [Fact]
    public async Task Sealing_by_id_chains_the_records_named_once_even_when_two_sealers_name_the_same()
    {
        var project = Guid.NewGuid().ToString("N");
        var trail = _trail.For(project);
        var entries = Enumerable.Range(0, 120).Select(i => Entry(project, $"t{i}")).ToList();
        await CarriedAsync(project, entries);
        var ids = entries.Select(e => e.Event.Id).ToList();

        var counts = await Task.WhenAll(_trail.For(project).SealAsync(ids[..80], default), _trail.For(project).SealAsync(ids[40..], default));
        var rest = await trail.SealAsync(default);

        var links = await LinksAsync(trail);

        Assert.Equal(120, counts.Sum());
        Assert.Equal(0, rest);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), links.Select(l => l.Sequence));
        Assert.Equal(ids.Order(StringComparer.Ordinal), links.Select(l => l.Id).Order(StringComparer.Ordinal));
        Assert.True((await AuditChain.VerifyAsync(links.ToAsyncEnumerable(), await trail.HeadAsync(default), toEnd: true, default)).Intact);
    }

    [Fact]
    public async Task The_chain_between_two_times_runs_from_the_first_record_after_the_one_to_the_last_before_the_other()
    {
        var project = Guid.NewGuid().ToString("N");
        var trail = _trail.For(project);
        await trail.AppendAsync([Entry(project, "a")], default);
        await trail.SealAsync(default);
        await Task.Delay(50);
        var from = DateTimeOffset.UtcNow;
        await trail.AppendAsync([Entry(project, "b"), Entry(project, "c")], default);
        await trail.SealAsync(default);
        var to = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        await trail.AppendAsync([Entry(project, "d")], default);
        await trail.SealAsync(default);

        var links = new List<long>();
        await foreach (var link in trail.ChainAsync(from, to, default))
        {
            links.Add(link.Sequence);
        }

        Assert.Equal([2L, 3L], links);
    }

    [Fact]
    public async Task Searches_see_the_projects_records_only()
    {
        var mine = Guid.NewGuid().ToString("N");
        var theirs = Guid.NewGuid().ToString("N");
        await _trail.For(mine).AppendAsync([Entry(mine, "x", 200, "Patient/shared"), Entry(mine, "y", 404, "Patient/other")], default);
        await _trail.For(theirs).AppendAsync([Entry(theirs, "z", 200, "Patient/shared")], default);
        var (request, _) = SearchParser.Parse("AuditEvent", [new("entity", "Patient/shared")], strict: true);

        var (found, _) = await _trail.For(mine).SearchAsync(request!, null, default);

        var only = Assert.Single(found);
        Assert.Contains("\"x\"", only.Json, StringComparison.Ordinal);
        Assert.Null(await _trail.For(theirs).ReadAsync(only.Id, default));
        Assert.NotNull(await _trail.For(mine).ReadAsync(only.Id, default));
    }
}
