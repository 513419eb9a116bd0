using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Testing;

/// <summary>
/// Writes many resources into a project as the store writes them (document and search index, version 1), 50 to an
/// atomic batch: for tests and benchmarks that need a large project quickly, without the API's per-request cost.
/// </summary>
public static class ProjectSeeding
{
    /// <summary>Resources per atomic batch: two operations each, within Cosmos DB's 100.</summary>
    public const int PerBatch = 50;

    /// <summary>
    /// Commits <paramref name="resources"/> (each given <c>meta.versionId</c> 1 and a <c>meta.lastUpdated</c> one
    /// millisecond after the previous, from <paramref name="firstUpdated"/>), <paramref name="inFlight"/> batches at a time.
    /// </summary>
    public static async System.Threading.Tasks.Task CommitAsync(IProjectResources store, IReadOnlyList<Resource> resources, DateTimeOffset firstUpdated,
        int inFlight, int perBatch = PerBatch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(resources);
        var batches = resources.Chunk(perBatch).Select((batch, n) => (batch, n));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = cancellationToken }, async (item, token) =>
        {
            var writes = item.batch.Select((resource, k) => Write(resource, firstUpdated.AddMilliseconds((item.n * perBatch) + k))).ToList();
            if (await store.CommitAsync(writes, [], [], token) is null)
            {
                throw new InvalidOperationException("A seeding batch conflicted with a resource already there.");
            }
        });
    }

    private static ResourceWrite Write(Resource resource, DateTimeOffset lastUpdated)
    {
        resource.Meta = new Meta { VersionId = "1", LastUpdated = lastUpdated };
        var json = JsonSerializer.Serialize(resource, ResourceParser.Options);
        var version = new StoredResource(resource.TypeName, resource.Id!, 1, lastUpdated, false, json, string.Empty) { Index = ResourceIndexer.Index(resource) };
        return new ResourceWrite(version, null);
    }
}
