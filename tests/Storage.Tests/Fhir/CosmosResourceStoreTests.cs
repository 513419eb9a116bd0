using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Storage.Tests.Fhir;

/// <summary>The resource store's commits against the emulator: document layout, atomicity, guards and limits.</summary>
public sealed class CosmosResourceStoreTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly CosmosResourceStore _store = new(cosmos.Container, TimeProvider.System);

    private static StoredResource Version(Resource resource, int version, DateTimeOffset at)
    {
        resource.Meta = new Meta { VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastUpdated = at };
        return new StoredResource(resource.TypeName, resource.Id!, version, at, false, JsonSerializer.Serialize(resource, ResourceParser.Options), string.Empty)
        {
            Index = ResourceIndexer.Index(resource),
        };
    }

    [Fact]
    public async Task The_current_document_carries_the_index_and_each_replaced_version_learns_when_it_ended()
    {
        var project = Guid.NewGuid().ToString("N");
        var t0 = DateTimeOffset.UtcNow;
        var observation = new Observation { Id = "o1", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "8867-4"), Subject = new ResourceReference("Patient/p1") };
        var v1 = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(observation, 1, t0), null)], [], default))!.Single();
        observation.Status = ObservationStatus.Amended;
        var v2 = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(observation, 2, t0.AddSeconds(5)), v1)], [], default))!.Single();

        var current = (await cosmos.Container.ReadItemAsync<JObject>("Observation:o1", new PartitionKey(project))).Resource;
        var first = (await cosmos.Container.ReadItemAsync<JObject>("Observation:o1:1", new PartitionKey(project))).Resource;
        var second = (await cosmos.Container.ReadItemAsync<JObject>("Observation:o1:2", new PartitionKey(project))).Resource;

        Assert.Equal("amended", (string?)current["idx"]!["status"]![0]!["c"]);
        Assert.Equal("Patient/p1", (string?)current["compartments"]![0]);
        Assert.Null(first["idx"]);
        Assert.Null(second["idx"]);
        Assert.Equal(t0.AddSeconds(5), first["supersededAt"]!.ToObject<DateTimeOffset>());
        Assert.Null(second["supersededAt"]);
        Assert.Equal(2, v2.VersionId);
        Assert.Equal("final", JsonDocument.Parse((await _store.For(ProjectScope.Of(project)).ReadVersionAsync("Observation", "o1", 1, default))!.Json).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_commit_is_all_or_nothing_and_a_stale_replace_or_guard_fails_it()
    {
        var project = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var existing = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p1", Active = true }, 1, now), null)], [], default))!.Single();
        var guard = await _store.For(ProjectScope.Of(project)).ReadGuardAsync("create:Patient?identifier=x", default);

        var stale = await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p2", Active = true }, 1, now), null),
             new ResourceWrite(Version(new Patient { Id = "p1", Active = false }, 2, now), existing with { ETag = "\"stale\"" })], [], default);
        var guarded = await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p3", Active = true }, 1, now), null)],
            [new CommitGuard("create:Patient?identifier=x", guard)], default);
        var raced = await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p4", Active = true }, 1, now), null)],
            [new CommitGuard("create:Patient?identifier=x", guard)], default);
        var tooLarge = await Assert.ThrowsAsync<CommitTooLargeException>(() => _store.For(ProjectScope.Of(project)).CommitAsync([.. Enumerable.Range(0, 51).Select(i => new ResourceWrite(Version(new Patient { Id = $"big{i}", Active = true }, 1, now), null))], [], default));

        Assert.Null(guard);
        Assert.Null(stale);
        Assert.Null(await _store.For(ProjectScope.Of(project)).ReadAsync("Patient", "p2", default));
        Assert.Equal(1, (await _store.For(ProjectScope.Of(project)).ReadAsync("Patient", "p1", default))!.VersionId);
        Assert.NotNull(guarded);
        Assert.Null(raced);
        Assert.Null(await _store.For(ProjectScope.Of(project)).ReadAsync("Patient", "p4", default));
        Assert.Equal(102, tooLarge.Operations);
        Assert.Null(await _store.For(ProjectScope.Of(project)).ReadAsync("Patient", "big0", default));
    }

    [Fact]
    public async Task Existing_and_search_see_only_the_project_and_only_live_resources()
    {
        var project = Guid.NewGuid().ToString("N");
        var other = Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var live = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "live", Gender = AdministrativeGender.Female }, 1, now), null)], [], default))!.Single();
        var gone = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "gone", Gender = AdministrativeGender.Female }, 1, now), null)], [], default))!.Single();
        await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(new StoredResource("Patient", "gone", 2, now, true, string.Empty, string.Empty), gone)], [], default);
        await _store.For(ProjectScope.Of(other)).CommitAsync([new ResourceWrite(Version(new Patient { Id = "elsewhere", Gender = AdministrativeGender.Female }, 1, now), null)], [], default);
        var (request, _) = SearchParser.Parse("Patient", [new("gender", "female")], strict: true);

        var existing = await _store.For(ProjectScope.Of(project)).ExistingAsync(["Patient/live", "Patient/gone", "Patient/elsewhere"], default);
        var (found, _) = await _store.For(ProjectScope.Of(project)).SearchAsync(request!, null, default);
        var count = await _store.For(ProjectScope.Of(project)).CountAsync(request!, default);

        Assert.Equal(["Patient/live"], existing);
        Assert.Equal([live.Id], found.Select(r => r.Id));
        Assert.Equal(1, count);
    }
}
