using System.Net;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Fhir;

/// <summary>
/// FHIR resources in Enclave's container. A write is one TransactionalBatch in the project's partition: create
/// or replace (guarded by the current document's ETag) the current document, and create the version document.
/// Reads and vreads are point reads.
/// </summary>
public sealed class CosmosResourceStore(Container container) : IResourceStore
{
    /// <inheritdoc />
    public Task<StoredResource?> ReadAsync(string projectId, string resourceType, string id, CancellationToken cancellationToken) =>
        ReadDocumentAsync(ResourceDocument.CurrentId(resourceType, id), projectId, cancellationToken);

    /// <inheritdoc />
    public Task<StoredResource?> ReadVersionAsync(string projectId, string resourceType, string id, int versionId, CancellationToken cancellationToken) =>
        ReadDocumentAsync(ResourceDocument.VersionDocumentId(resourceType, id, versionId), projectId, cancellationToken);

    /// <inheritdoc />
    public async Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string projectId, string? resourceType, string? id,
        DateTimeOffset? since, int count, string? page, CancellationToken cancellationToken)
    {
        var sql = "SELECT * FROM c WHERE c.projectId = @projectId AND c.kind = @kind"
            + (resourceType is null ? string.Empty : " AND c.resourceType = @type")
            + (id is null ? string.Empty : " AND c.resourceId = @id")
            + (since is null ? string.Empty : " AND c.lastUpdated >= @since")
            + " ORDER BY c.lastUpdated DESC";
        var query = new QueryDefinition(sql)
            .WithParameter("@projectId", projectId)
            .WithParameter("@kind", ResourceDocument.VersionKind)
            .WithParameter("@type", resourceType)
            .WithParameter("@id", id)
            .WithParameter("@since", since?.ToUniversalTime());
        using var iterator = container.GetItemQueryStreamIterator(query, page,
            new QueryRequestOptions { PartitionKey = new PartitionKey(projectId), MaxItemCount = count });
        using var response = await iterator.ReadNextAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest && page is not null)
        {
            throw new ArgumentException("The history page token is not valid.", nameof(page));
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Reading history failed: Cosmos DB answered {(int)response.StatusCode}.");
        }

        using var body = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
        var versions = body.RootElement.GetProperty("Documents").EnumerateArray()
            .Select(d => d.Deserialize<ResourceDocument>()!.ToStored()).ToList();
        return (versions, response.ContinuationToken);
    }

    /// <inheritdoc />
    public async Task<StoredResource?> WriteAsync(string projectId, StoredResource version, StoredResource? replacing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        var current = Serialize(ResourceDocument.From(projectId, version, ResourceDocument.CurrentKind));
        var batch = container.CreateTransactionalBatch(new PartitionKey(projectId));
        batch = replacing is null
            ? batch.CreateItemStream(current)
            : batch.ReplaceItemStream(ResourceDocument.CurrentId(version.ResourceType, version.Id), current,
                new TransactionalBatchItemRequestOptions { IfMatchEtag = replacing.ETag });
        batch.CreateItemStream(Serialize(ResourceDocument.From(projectId, version, ResourceDocument.VersionKind)));
        using var response = await batch.ExecuteAsync(cancellationToken);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Writing {version.ResourceType}/{version.Id} failed: Cosmos DB answered {(int)response.StatusCode}.");
        }

        return version with { ETag = response[0].ETag };
    }

    private async Task<StoredResource?> ReadDocumentAsync(string documentId, string projectId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(documentId, new PartitionKey(projectId), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Reading {documentId} failed: Cosmos DB answered {(int)response.StatusCode}.");
        }

        var document = await JsonSerializer.DeserializeAsync<ResourceDocument>(response.Content, cancellationToken: cancellationToken);
        return document!.ToStored();
    }

    private static MemoryStream Serialize(ResourceDocument document) => new(JsonSerializer.SerializeToUtf8Bytes(document));
}
