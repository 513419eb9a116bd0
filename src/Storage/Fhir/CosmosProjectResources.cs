using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Fhir;

/// <summary>
/// The resources of one scope (<see cref="CosmosResourceStore.For"/>), all in its project's partition
/// (<see cref="ProjectPartition"/>). A commit is one TransactionalBatch there: per resource, create or replace
/// (guarded by the current document's ETag) the current document, create the version document and stamp the replaced
/// version's <c>supersededAt</c>; plus any guard documents and the write's audit records. Reads and vreads are point reads; history and searches
/// are single-partition queries, except searches that reach linked projects (their partitions named one by one).
/// </summary>
internal sealed class CosmosProjectResources(Container container, TimeProvider time, ProjectScope scope, Metering.UsageLedger? usage) : IProjectResources
{
    /// <summary>How long a guard document lives: far longer than any commit that could race on it.</summary>
    private const int GuardTimeToLiveSeconds = 3600;

    private readonly ProjectPartition _partition = ProjectPartition.Of(scope.ProjectId);

    /// <inheritdoc />
    public ProjectScope Scope => scope;

    /// <inheritdoc />
    public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken) =>
        ReadDocumentAsync(ResourceDocument.CurrentId(resourceType, id), cancellationToken);

    /// <inheritdoc />
    public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken) =>
        ReadDocumentAsync(ResourceDocument.VersionDocumentId(resourceType, id, versionId), cancellationToken);

    /// <inheritdoc />
    public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string? resourceType, string? id,
        DateTimeOffset? since, DateRange? at, int count, string? page, CancellationToken cancellationToken)
    {
        var condition = "c.kind = @kind"
            + (resourceType is null ? string.Empty : " AND c.resourceType = @type")
            + (id is null ? string.Empty : " AND c.resourceId = @id")
            + (since is null ? string.Empty : " AND c.lastUpdated >= @since")
            + (at is null ? string.Empty : " AND c.lastUpdated <= @atHigh AND (NOT IS_DEFINED(c.supersededAt) OR c.supersededAt > @atLow)")
            + " ORDER BY c.lastUpdated DESC";
        var query = _partition.Query(StoredResourceReader.Projection, condition)
            .WithParameter("@kind", ResourceDocument.VersionKind)
            .WithParameter("@type", resourceType)
            .WithParameter("@id", id)
            .WithParameter("@since", since is { } s ? DateRange.Text(s) : null)
            .WithParameter("@atLow", at?.LowText)
            .WithParameter("@atHigh", at?.HighText);
        return QueryPageAsync(query, count, page, cancellationToken);
    }

    /// <inheritdoc />
    public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> VersionsAsync(string resourceType, DateTimeOffset upTo, bool currentOnly, int count,
        string? page, CancellationToken cancellationToken)
    {
        var condition = "c.kind = @kind AND c.resourceType = @type AND c.lastUpdated <= @upTo"
            + (currentOnly ? " AND c.deleted = false AND (NOT IS_DEFINED(c.supersededAt) OR c.supersededAt > @upTo)" : string.Empty);
        var query = _partition.Query(StoredResourceReader.Projection + ", c.supersededAt", condition)
            .WithParameter("@kind", ResourceDocument.VersionKind)
            .WithParameter("@type", resourceType)
            .WithParameter("@upTo", DateRange.Text(upTo));
        return QueryPageAsync(query, count, page, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> AnyAsync(CancellationToken cancellationToken)
    {
        var query = _partition.Query("SELECT TOP 1 c.id", "(c.kind = @current OR c.kind = @version)")
            .WithParameter("@current", ResourceDocument.CurrentKind)
            .WithParameter("@version", ResourceDocument.VersionKind);
        using var iterator = container.GetItemQueryStreamIterator(query, null, _partition.Options(1));
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync(cancellationToken);
            CosmosFailures.EnsureSuccess(response, "look for resources");
            using var body = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
            if (body.RootElement.GetProperty("Documents").GetArrayLength() > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public async Task RestoreAsync(IReadOnlyList<StoredResource> versions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var operations = versions.Sum(v => v.SupersededAt is null ? 2 : 1);
        if (operations > CosmosResourceStore.MaxBatchOperations)
        {
            throw new CommitTooLargeException(operations, CosmosResourceStore.MaxBatchOperations);
        }

        var batch = container.CreateTransactionalBatch(_partition.Key);
        foreach (var version in versions)
        {
            batch.UpsertItemStream(Serialize(ResourceDocument.From(_partition.Value, version, ResourceDocument.VersionKind) with
            {
                SupersededAt = version.SupersededAt is { } superseded ? DateRange.Text(superseded) : null,
            }));
            if (version.SupersededAt is null)
            {
                batch.UpsertItemStream(Serialize(ResourceDocument.From(_partition.Value, version, ResourceDocument.CurrentKind)));
            }
        }

        using var response = await batch.ExecuteAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
        {
            throw new CommitTooLargeException("A restored resource, with its search index, is too large to store.");
        }

        CosmosFailures.EnsureSuccess(response.StatusCode, $"restore {versions.Count} versions", response.RetryAfter);
        foreach (var version in versions.Where(v => v.SupersededAt is null))
        {
            Counted(version, null); // a restore goes into a project that held nothing
        }
    }

    /// <summary>Counts what a stored <paramref name="version"/> replacing <paramref name="replaced"/> did to the project's live resources and bytes.</summary>
    private void Counted(StoredResource version, StoredResource? replaced)
    {
        var wasLive = replaced is { Deleted: false };
        var count = (version.Deleted ? 0 : 1) - (wasLive ? 1 : 0);
        var bytes = (version.Deleted ? 0L : version.Utf8Json.Length) - (wasLive ? replaced!.Utf8Json.Length : 0L);
        if (count != 0 || bytes != 0)
        {
            usage?.RecordStorage(_partition.Value, version.ResourceType, count, bytes);
        }
    }

    /// <inheritdoc />
    public Task<(IReadOnlyList<StoredResource> Resources, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var links = scope.LinksReached(request);
        return QueryPageAsync(CosmosSearchQuery.Build(scope.ProjectId, request, time.GetUtcNow(), links: links), request.Count, page, cancellationToken,
            crossPartition: links.Count > 0);
    }

    /// <inheritdoc />
    public async Task<int> CountAsync(SearchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var links = scope.LinksReached(request);
        using var iterator = container.GetItemQueryIterator<int>(
            CosmosSearchQuery.Build(scope.ProjectId, request, time.GetUtcNow(), CosmosSearchQuery.Selection.Count, links: links),
            requestOptions: links.Count > 0 ? AcrossPartitions() : _partition.Options());
        var total = 0;
        while (iterator.HasMoreResults)
        {
            total += (await NextAsync(iterator, "count resources", cancellationToken)).Sum();
        }

        return total;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> SelectReferencesAsync(SearchRequest request, string? referenceCode, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var found = new List<string>();
        using var iterator = container.GetItemQueryIterator<string>(
            CosmosSearchQuery.Build(scope.ProjectId, request, time.GetUtcNow(), CosmosSearchQuery.Selection.References, referenceCode, limit),
            requestOptions: _partition.Options());
        while (iterator.HasMoreResults && found.Count < limit)
        {
            found.AddRange(await NextAsync(iterator, "select references", cancellationToken));
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResource>> ReadManyAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        if (references.Count == 0)
        {
            return [];
        }

        var query = _partition.Query(StoredResourceReader.Projection, "ARRAY_CONTAINS(@ids, c.id) AND c.kind = @kind AND NOT c.deleted")
            .WithParameter("@ids", DocumentIds(references))
            .WithParameter("@kind", ResourceDocument.CurrentKind);
        var found = new List<StoredResource>();
        string? page = null;
        do
        {
            var (resources, next) = await QueryPageAsync(query, 1000, page, cancellationToken);
            found.AddRange(resources);
            page = next;
        }
        while (page is not null);

        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlySet<string>> ExistingAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(references);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (references.Count == 0)
        {
            return found;
        }

        var query = _partition.Query("SELECT VALUE c.id", "ARRAY_CONTAINS(@ids, c.id) AND c.kind = @kind AND NOT c.deleted")
            .WithParameter("@ids", DocumentIds(references))
            .WithParameter("@kind", ResourceDocument.CurrentKind);
        using var iterator = container.GetItemQueryIterator<string>(query, requestOptions: _partition.Options());
        while (iterator.HasMoreResults)
        {
            foreach (var id in await NextAsync(iterator, "read references", cancellationToken))
            {
                found.Add(id.Replace(':', '/'));
            }
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<string?> ReadGuardAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(GuardId(key), _partition.Key, cancellationToken: cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound ? null : CosmosFailures.EnsureSuccess(response, "read a guard").Headers.ETag;
    }

    /// <inheritdoc />
    public async Task<int> ExpungeAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        var query = _partition.Query("SELECT VALUE c.id", "c.resourceType = @type AND c.resourceId = @id AND (c.kind = @current OR c.kind = @version)")
            .WithParameter("@type", resourceType).WithParameter("@id", id)
            .WithParameter("@current", ResourceDocument.CurrentKind).WithParameter("@version", ResourceDocument.VersionKind);
        var removed = 0;
        // Until a query finds nothing: a write that committed after the first query (a new version) goes too.
        for (var pass = 0; pass < 10; pass++)
        {
            var documents = new List<string>();
            using (var iterator = container.GetItemQueryIterator<string>(query, requestOptions: _partition.Options()))
            {
                while (iterator.HasMoreResults)
                {
                    documents.AddRange(await NextAsync(iterator, "find the documents to expunge", cancellationToken));
                }
            }

            if (documents.Count == 0)
            {
                return removed;
            }

            // Versions first, the current document last: until it goes, an interrupted expunge is still findable and is finished by a retry.
            var current = ResourceDocument.CurrentId(resourceType, id);
            removed += await DeleteAllAsync(container, _partition, [.. documents.Where(d => d != current), .. documents.Where(d => d == current)],
                $"expunge {resourceType}/{id}", cancellationToken);
        }

        throw new StoreThrottledException($"expunge {resourceType}/{id} while it is being written", TimeSpan.FromSeconds(1), unavailable: true);
    }

    /// <inheritdoc />
    public async Task<(int Removed, IReadOnlyList<string> Resources)> ExpungeVersionsInAsync(string compartment, int limit, CancellationToken cancellationToken)
    {
        var query = _partition.Query("SELECT TOP @limit c.id, c.resourceType, c.resourceId", "c.kind = @version AND ARRAY_CONTAINS(c.compartments, @compartment)")
            .WithParameter("@limit", limit).WithParameter("@version", ResourceDocument.VersionKind).WithParameter("@compartment", compartment);
        var found = new List<(string Id, string Reference)>();
        using (var iterator = container.GetItemQueryStreamIterator(query, null, _partition.Options(limit)))
        {
            while (iterator.HasMoreResults && found.Count < limit)
            {
                using var response = await iterator.ReadNextAsync(cancellationToken);
                CosmosFailures.EnsureSuccess(response, "find the versions to expunge");
                using var body = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
                found.AddRange(body.RootElement.GetProperty("Documents").EnumerateArray()
                    .Select(d => (d.GetProperty("id").GetString()!, $"{d.GetProperty("resourceType").GetString()}/{d.GetProperty("resourceId").GetString()}")));
            }
        }

        var removed = await DeleteAllAsync(container, _partition, [.. found.Select(f => f.Id)], $"expunge versions in {compartment}", cancellationToken);
        return (removed, [.. found.Select(f => f.Reference).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// Deletes <paramref name="ids"/> from <paramref name="partition"/> in batches; a batch that fails because one of its
    /// documents is already gone (another delete, a ttl) is done one by one. Returns how many this call deleted.
    /// </summary>
    internal static async Task<int> DeleteAllAsync(Container container, ProjectPartition partition, IReadOnlyList<string> ids, string what, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var chunk in ids.Chunk(CosmosResourceStore.MaxBatchOperations))
        {
            var batch = container.CreateTransactionalBatch(partition.Key);
            foreach (var id in chunk)
            {
                batch.DeleteItem(id);
            }

            using var response = await batch.ExecuteAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                CosmosFailures.EnsureSuccess(response.StatusCode, what, response.RetryAfter);
                deleted += chunk.Length;
                continue;
            }

            foreach (var id in chunk)
            {
                using var single = await container.DeleteItemStreamAsync(id, partition.Key, cancellationToken: cancellationToken);
                if (single.StatusCode != HttpStatusCode.NotFound)
                {
                    CosmosFailures.EnsureSuccess(single, what);
                    deleted++;
                }
            }
        }

        return deleted;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResource>?> CommitAsync(IReadOnlyList<ResourceWrite> writes, IReadOnlyList<CommitGuard> guards,
        IReadOnlyList<AuditEntry> audit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        ArgumentNullException.ThrowIfNull(guards);
        ArgumentNullException.ThrowIfNull(audit);
        var operations = writes.Sum(w => w.Replacing is null ? 2 : 3) + guards.Count + audit.Count;
        if (operations > CosmosResourceStore.MaxBatchOperations)
        {
            throw new CommitTooLargeException(operations, CosmosResourceStore.MaxBatchOperations);
        }

        var batch = container.CreateTransactionalBatch(_partition.Key);
        foreach (var (version, replacing) in writes)
        {
            var current = Serialize(ResourceDocument.From(_partition.Value, version, ResourceDocument.CurrentKind));
            batch = replacing is null
                ? batch.CreateItemStream(current)
                : batch.ReplaceItemStream(ResourceDocument.CurrentId(version.ResourceType, version.Id), current,
                    new TransactionalBatchItemRequestOptions { IfMatchEtag = replacing.ETag });
            batch.CreateItemStream(Serialize(ResourceDocument.From(_partition.Value, version, ResourceDocument.VersionKind)));
            if (replacing is not null)
            {
                batch.PatchItem(ResourceDocument.VersionDocumentId(replacing.ResourceType, replacing.Id, replacing.VersionId),
                    [PatchOperation.Set("/supersededAt", DateRange.Text(version.LastUpdated))]);
            }
        }

        foreach (var guard in guards)
        {
            var document = Serialize(new GuardDocument { Id = GuardId(guard.Key), ProjectId = _partition.Value, TimeToLive = GuardTimeToLiveSeconds });
            batch = guard.ETag is null
                ? batch.CreateItemStream(document)
                : batch.ReplaceItemStream(GuardId(guard.Key), document, new TransactionalBatchItemRequestOptions { IfMatchEtag = guard.ETag });
        }

        foreach (var entry in audit)
        {
            batch.CreateItemStream(Serialize(ResourceDocument.Audit(_partition.Value, entry)));
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

        CosmosFailures.EnsureSuccess(response.StatusCode, $"commit {writes.Count} resource writes", response.RetryAfter);

        var stored = new List<StoredResource>(writes.Count);
        var operation = 0;
        foreach (var write in writes)
        {
            stored.Add(write.Version with { ETag = response[operation].ETag });
            operation += write.Replacing is null ? 2 : 3;
            Counted(write.Version, write.Replacing);
        }

        return stored;
    }

    private async Task<(IReadOnlyList<StoredResource>, string?)> QueryPageAsync(QueryDefinition query, int count, string? page,
        CancellationToken cancellationToken, bool crossPartition = false)
    {
        using var iterator = container.GetItemQueryStreamIterator(query, page,
            crossPartition ? AcrossPartitions(Math.Max(count, 1)) : _partition.Options(Math.Max(count, 1)));
        using var response = await iterator.ReadNextAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            // A continuation Cosmos DB cannot read, or a query it refuses (e.g. a multi-key sort without a composite index).
            // Cosmos DB's own text stays out of the answer: it describes the database, not the request.
            throw new InvalidSearchException(page is not null ? "The page token is not valid."
                : "This search cannot run: a sort on two or more parameters needs a composite index (docs/fhir-api.md).");
        }

        CosmosFailures.EnsureSuccess(response, "query resources");
        return (await StoredResourceReader.ReadPageAsync(response.Content, cancellationToken), response.ContinuationToken);
    }

    private async Task<StoredResource?> ReadDocumentAsync(string documentId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(documentId, _partition.Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, $"read {documentId}");
        return await StoredResourceReader.ReadDocumentAsync(response.Content, cancellationToken);
    }

    /// <summary>
    /// A search that reaches linked projects: their partitions and the caller's, named one by one in the query's project
    /// predicate (<see cref="CosmosSearchQuery.Build"/>), never the whole container.
    /// </summary>
    private static QueryRequestOptions AcrossPartitions(int? pageSize = null) => new() { MaxItemCount = pageSize };

    private static string[] DocumentIds(IReadOnlyCollection<string> references) =>
        [.. references.Select(r => r.Replace('/', ':')).Distinct(StringComparer.Ordinal)];

    /// <summary>The next page of a typed query; throttling is a <see cref="StoreThrottledException"/>, as on the stream calls.</summary>
    private static async Task<FeedResponse<T>> NextAsync<T>(FeedIterator<T> iterator, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await iterator.ReadNextAsync(cancellationToken);
        }
        catch (CosmosException e) when (CosmosFailures.Transient(e, what) is { } transient)
        {
            throw transient;
        }
    }

    /// <summary>Guard ids hash the key: keys hold request text, ids must stay short and free of '/'.</summary>
    private static string GuardId(string key) => "guard:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static MemoryStream Serialize<T>(T document) => new(JsonSerializer.SerializeToUtf8Bytes(document));
}
