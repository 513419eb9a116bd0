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

/// <summary>
/// The Cosmos store's document layout (what the port does not show): the index on the current document only, and each
/// replaced version stamped with when it ended. Atomicity, guards, limits and queries are in <see cref="ResourceStoreContract"/>.
/// </summary>
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
        var v1 = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(observation, 1, t0), null)], [], [], default))!.Single();
        observation.Status = ObservationStatus.Amended;
        var v2 = (await _store.For(ProjectScope.Of(project)).CommitAsync([new ResourceWrite(Version(observation, 2, t0.AddSeconds(5)), v1)], [], [], default))!.Single();

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
}
