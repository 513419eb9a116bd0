using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Storage.Tests.Search;

/// <summary>
/// The criterion a Patient-level export adds, "in some patient's compartment" (<c>_compartment</c> with the internal
/// modifier <c>type</c>), returns in Cosmos exactly what the in-memory evaluator returns.
/// </summary>
public sealed class CompartmentTypeTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    [Fact]
    public async Task In_some_patients_compartment_matches_as_in_memory()
    {
        var project = Guid.NewGuid().ToString("N");
        var store = new CosmosResourceStore(cosmos.Container, TimeProvider.System).For(ProjectScope.Of(project));
        var data = ClinicalDataSet.Generate(patients: 20, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
            .Select(d => (d.Resource, d.LastUpdated, Index: ResourceIndexer.Index(d.Resource))).ToList();
        foreach (var chunk in data.Chunk(40))
        {
            Assert.NotNull(await store.CommitAsync([.. chunk.Select(d => new ResourceWrite(new StoredResource(d.Resource.TypeName, d.Resource.Id!, 1, d.LastUpdated, false,
                JsonSerializer.Serialize(d.Resource, ResourceParser.Options), string.Empty) { Index = d.Index }, null))], [], [], default));
        }

        var types = data.Select(d => d.Resource.TypeName).Distinct().ToList();
        var matched = new List<string>();
        foreach (var type in types)
        {
            var request = new SearchRequest(type, [new SearchCriterion("_compartment", SearchParamType.Reference, "type", ["Patient"])], 1000, []);
            var expected = data.Where(d => InMemorySearch.Matches(request, d.Resource, d.LastUpdated, DateTimeOffset.UtcNow, d.Index)).Select(d => d.Resource.Id!).Order(StringComparer.Ordinal).ToList();
            var (found, _) = await store.SearchAsync(request, null, default);
            Assert.Equal(expected, found.Select(r => r.Id).Order(StringComparer.Ordinal));
            if (!PatientCompartment.Parameters.ContainsKey(type))
            {
                Assert.Empty(found); // a type outside the Patient compartment is in no patient's
            }

            if (expected.Count > 0)
            {
                matched.Add(type);
            }
        }

        Assert.Contains("Patient", matched); // a Patient is in its own compartment
        Assert.True(matched.Count > 2, $"only {string.Join(",", matched)} of {string.Join(",", types)} matched");
    }
}
