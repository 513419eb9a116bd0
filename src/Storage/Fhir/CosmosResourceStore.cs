using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Fhir;

/// <summary>
/// FHIR resources in Enclave's container. A commit is one TransactionalBatch in the project's partition: per
/// resource, create or replace (guarded by the current document's ETag) the current document, create the version
/// document and stamp the replaced version's <c>supersededAt</c>; plus any guard documents. Reads and vreads are
/// point reads; searches and history are single-partition queries. <paramref name="time"/> is what <c>ap</c> search
/// dates are near.
/// </summary>
public sealed class CosmosResourceStore(Container container, TimeProvider time) : IResourceStore
{
    /// <summary>The most operations one TransactionalBatch may hold.</summary>
    public const int MaxBatchOperations = 100;

    /// <summary>How long a guard document lives: far longer than any commit that could race on it.</summary>
    private const int GuardTimeToLiveSeconds = 3600;

    /// <inheritdoc />
    public Task<StoredResource?> ReadAsync(string projectId, string resourceType, string id, CancellationToken cancellationToken) =>
        ReadDocumentAsync(ResourceDocument.CurrentId(resourceType, id), projectId, cancellationToken);

    /// <inheritdoc />
    public Task<StoredResource?> ReadVersionAsync(string projectId, string resourceType, string id, int versionId, CancellationToken cancellationToken) =>
        ReadDocumentAsync(ResourceDocument.VersionDocumentId(resourceType, id, versionId), projectId, cancellationToken);

    /// <inheritdoc />
    public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string projectId, string? resourceType, string? id,
        DateTimeOffset? since, DateRange? at, int count, string? page, CancellationToken cancellationToken)
    {
        var sql = "SELECT * FROM c WHERE c.projectId = @projectId AND c.kind = @kind"
            + (resourceType is null ? string.Empty : " AND c.resourceType = @type")
            + (id is null ? string.Empty : " AND c.resourceId = @id")
            + (since is null ? string.Empty : " AND c.lastUpdated >= @since")
            + (at is null ? string.Empty : " AND c.lastUpdated <= @atHigh AND (NOT IS_DEFINED(c.supersededAt) OR c.supersededAt > @atLow)")
            + " ORDER BY c.lastUpdated DESC";
        var query = new QueryDefinition(sql)
            .WithParameter("@projectId", projectId)
            .WithParameter("@kind", ResourceDocument.VersionKind)
            .WithParameter("@type", resourceType)
            .WithParameter("@id", id)
            .WithParameter("@since", since is { } s ? DateRange.Text(s) : null)
            .WithParameter("@atLow", at?.LowText)
            .WithParameter("@atHigh", at?.HighText);
        return QueryPageAsync(projectId, query, count, page, cancellationToken);
    }

    /// <inheritdoc />
    public Task<(IReadOnlyList<StoredResource> Resources, string? Next)> SearchAsync(ProjectScope scope, SearchRequest request, string? page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        var links = CosmosSearchQuery.Reached(scope, request);
        return QueryPageAsync(scope.ProjectId, CosmosSearchQuery.Build(scope.ProjectId, request, time.GetUtcNow(), links: links), request.Count, page, cancellationToken, crossPartition: links.Count > 0);
    }

    /// <inheritdoc />
    public async Task<int> CountAsync(ProjectScope scope, SearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(request);
        var links = CosmosSearchQuery.Reached(scope, request);
        using var iterator = container.GetItemQueryIterator<int>(CosmosSearchQuery.Build(scope.ProjectId, request, time.GetUtcNow(), CosmosSearchQuery.Selection.Count, links: links),
            requestOptions: links.Count > 0 ? AcrossPartitions() : InPartition(scope.ProjectId));
        var total = 0;
        while (iterator.HasMoreResults)
        {
            total += (await iterator.ReadNextAsync(cancellationToken)).Sum();
        }

        return total;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> SelectReferencesAsync(string projectId, SearchRequest request, string? referenceCode, int limit,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var found = new List<string>();
        using var iterator = container.GetItemQueryIterator<string>(
            CosmosSearchQuery.Build(projectId, request, time.GetUtcNow(), CosmosSearchQuery.Selection.References, referenceCode, limit), requestOptions: InPartition(projectId));
        while (iterator.HasMoreResults && found.Count < limit)
        {
            found.AddRange(await iterator.ReadNextAsync(cancellationToken));
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResource>> ReadManyAsync(string projectId, IReadOnlyCollection<string> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0)
        {
            return [];
        }

        var query = new QueryDefinition("SELECT * FROM c WHERE c.projectId = @projectId AND ARRAY_CONTAINS(@ids, c.id) AND c.kind = @kind AND NOT c.deleted")
            .WithParameter("@projectId", projectId)
            .WithParameter("@ids", references.Select(r => r.Replace('/', ':')).Distinct(StringComparer.Ordinal).ToArray())
            .WithParameter("@kind", ResourceDocument.CurrentKind);
        var found = new List<StoredResource>();
        string? page = null;
        do
        {
            var (resources, next) = await QueryPageAsync(projectId, query, 1000, page, cancellationToken);
            found.AddRange(resources);
            page = next;
        }
        while (page is not null);

        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlySet<string>> ExistingAsync(string projectId, IReadOnlyCollection<string> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (references.Count == 0)
        {
            return found;
        }

        var ids = references.Select(r => r.Replace('/', ':')).Distinct(StringComparer.Ordinal).ToArray();
        var query = new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.projectId = @projectId AND ARRAY_CONTAINS(@ids, c.id) AND c.kind = @kind AND NOT c.deleted")
            .WithParameter("@projectId", projectId)
            .WithParameter("@ids", ids)
            .WithParameter("@kind", ResourceDocument.CurrentKind);
        using var iterator = container.GetItemQueryIterator<string>(query, requestOptions: InPartition(projectId));
        while (iterator.HasMoreResults)
        {
            foreach (var id in await iterator.ReadNextAsync(cancellationToken))
            {
                found.Add(id.Replace(':', '/'));
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<string?> ReadGuardAsync(string projectId, string key, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(GuardId(key), new PartitionKey(projectId), cancellationToken: cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : EnsureSuccess(response, "reading a guard").Headers.ETag;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResource>?> CommitAsync(string projectId, IReadOnlyList<ResourceWrite> writes, IReadOnlyList<CommitGuard> guards,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        ArgumentNullException.ThrowIfNull(guards);
        var operations = writes.Sum(w => w.Replacing is null ? 2 : 3) + guards.Count;
        if (operations > MaxBatchOperations)
        {
            throw new CommitTooLargeException(operations, MaxBatchOperations);
        }

        var batch = container.CreateTransactionalBatch(new PartitionKey(projectId));
        foreach (var (version, replacing) in writes)
        {
            var current = Serialize(ResourceDocument.From(projectId, version, ResourceDocument.CurrentKind));
            batch = replacing is null
                ? batch.CreateItemStream(current)
                : batch.ReplaceItemStream(ResourceDocument.CurrentId(version.ResourceType, version.Id), current,
                    new TransactionalBatchItemRequestOptions { IfMatchEtag = replacing.ETag });
            batch.CreateItemStream(Serialize(ResourceDocument.From(projectId, version, ResourceDocument.VersionKind)));
            if (replacing is not null)
            {
                batch.PatchItem(ResourceDocument.VersionDocumentId(replacing.ResourceType, replacing.Id, replacing.VersionId),
                    [PatchOperation.Set("/supersededAt", DateRange.Text(version.LastUpdated))]);
            }
        }

        foreach (var guard in guards)
        {
            var document = Serialize(new GuardDocument { Id = GuardId(guard.Key), ProjectId = projectId, TimeToLive = GuardTimeToLiveSeconds });
            batch = guard.ETag is null
                ? batch.CreateItemStream(document)
                : batch.ReplaceItemStream(GuardId(guard.Key), document, new TransactionalBatchItemRequestOptions { IfMatchEtag = guard.ETag });
        }

        using var response = await batch.ExecuteAsync(cancellationToken);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }

        if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
        {
            // A document (the resource's JSON with its index) or the whole atomic write is over Cosmos DB's 2 MB.
            throw new CommitTooLargeException("The write is too large to store: a resource, with its search index, must stay well under 2 MB, and so must all the writes of one transaction together.");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Committing {writes.Count} resource writes failed: Cosmos DB answered {(int)response.StatusCode}.");
        }

        var stored = new List<StoredResource>(writes.Count);
        var operation = 0;
        foreach (var write in writes)
        {
            stored.Add(write.Version with { ETag = response[operation].ETag });
            operation += write.Replacing is null ? 2 : 3;
        }

        return stored;
    }

    private async Task<(IReadOnlyList<StoredResource>, string?)> QueryPageAsync(string projectId, QueryDefinition query, int count, string? page,
        CancellationToken cancellationToken, bool crossPartition = false)
    {
        using var iterator = container.GetItemQueryStreamIterator(query, page,
            crossPartition ? AcrossPartitions(Math.Max(count, 1)) : InPartition(projectId, Math.Max(count, 1)));
        using var response = await iterator.ReadNextAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            // A continuation Cosmos DB cannot read, or a query it refuses (e.g. a multi-key sort without a composite index).
            // Cosmos DB's own text stays out of the answer: it describes the database, not the request.
            throw new ArgumentException(page is not null ? "The page token is not valid."
                : "Cosmos DB cannot run this search; a sort on two or more parameters needs a composite index (docs/fhir-api.md).", nameof(page));
        }

        EnsureSuccess(response, "querying resources");
        using var body = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
        var documents = body.RootElement.GetProperty("Documents").EnumerateArray()
            .Select(d => d.Deserialize<ResourceDocument>()!.ToStored()).ToList();
        return (documents, response.ContinuationToken);
    }

    private async Task<StoredResource?> ReadDocumentAsync(string documentId, string projectId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(documentId, new PartitionKey(projectId), cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response, $"reading {documentId}");
        var document = await JsonSerializer.DeserializeAsync<ResourceDocument>(response.Content, cancellationToken: cancellationToken);
        return document!.ToStored();
    }

    /// <summary>
    /// A query of one project's partition. Optimistic direct execution sends it straight to the partition: without
    /// it the SDK (which cannot plan queries itself on Linux) first asks the gateway for a query plan, a second round trip.
    /// </summary>
    private static QueryRequestOptions InPartition(string projectId, int? pageSize = null) =>
        new() { PartitionKey = new PartitionKey(projectId), MaxItemCount = pageSize, EnableOptimisticDirectExecution = true };

    /// <summary>
    /// A search that reaches linked projects: their partitions and the caller's, named one by one in the query's project
    /// predicate (<see cref="CosmosSearchQuery.Build"/>), never the whole container.
    /// </summary>
    private static QueryRequestOptions AcrossPartitions(int? pageSize = null) => new() { MaxItemCount = pageSize };

    private static ResponseMessage EnsureSuccess(ResponseMessage response, string what) =>
        response.IsSuccessStatusCode ? response : throw new InvalidOperationException($"{what} failed: Cosmos DB answered {(int)response.StatusCode}.");

    /// <summary>Guard ids hash the key: keys hold request text, ids must stay short and free of '/'.</summary>
    private static string GuardId(string key) => "guard:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static MemoryStream Serialize<T>(T document) => new(JsonSerializer.SerializeToUtf8Bytes(document));
}
