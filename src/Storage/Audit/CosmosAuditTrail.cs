using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Fhir;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Audit;

/// <summary>
/// Audit records in Enclave's container, each project's in its own partition beside its data (a write's record is
/// committed in the write's own batch, <see cref="CosmosProjectResources.CommitAsync"/>). <paramref name="time"/> is
/// what <c>ap</c> search dates are near.
/// </summary>
public sealed class CosmosAuditTrail(Container container, TimeProvider time) : IAuditTrail
{
    private readonly ConcurrentDictionary<string, AppendQueue> _appends = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IProjectAuditTrail For(string projectId) => new ProjectTrail(container, time, ProjectPartition.Of(projectId), _appends.GetOrAdd(projectId, _ => new AppendQueue()));

    /// <summary>
    /// Group commit of one project's appends on this instance: while one batch is being written, the appends that
    /// arrive wait and go together in the next (up to a batch's 100 operations), so under load a read's record costs a
    /// share of one request, not a request of its own. Each append returns once its batch is durable (true when the batch
    /// was sealed as it was written), or throws what
    /// the batch threw.
    /// </summary>
    private sealed class AppendQueue
    {
        private readonly List<(IReadOnlyList<AuditEntry> Entries, TaskCompletionSource<bool> Done, Metering.StoreMeter? Meter)> _waiting = [];
        private bool _writing;

        /// <summary>The chain's head as this instance last wrote or read it (null: read it); a stale one costs one refused batch.</summary>
        public volatile CachedHead? Head;

        public Task<bool> EnqueueAsync(IReadOnlyList<AuditEntry> entries, Func<IReadOnlyList<AuditEntry>, Task<bool>> write, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            bool start;
            lock (_waiting)
            {
                _waiting.Add((entries, done, Metering.StoreMeter.Current));
                start = !_writing;
                _writing = true;
            }

            if (start)
            {
                // Not in the first caller's flow (a clean one, in which the writer's own meter then flows): each batch is
                // metered on its own and charged to the appends it carried.
                using (ExecutionContext.SuppressFlow())
                {
                    _ = Task.Run(() => WriteAllAsync(write), CancellationToken.None);
                }
            }

            return done.Task.WaitAsync(cancellationToken);
        }

        /// <summary>Shares what a batch cost among the appends it carried, by their records (its calls go to the first).</summary>
        private static void Charge(List<(IReadOnlyList<AuditEntry> Entries, TaskCompletionSource<bool> Done, Metering.StoreMeter? Meter)> batch, Metering.StoreMeter meter)
        {
            var records = batch.Sum(b => b.Entries.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Meter?.Add(meter.TotalCharge * batch[i].Entries.Count / records, i == 0 ? meter.TotalCalls : 0);
            }
        }

        private async Task WriteAllAsync(Func<IReadOnlyList<AuditEntry>, Task<bool>> write)
        {
            while (true)
            {
                var batch = new List<(IReadOnlyList<AuditEntry> Entries, TaskCompletionSource<bool> Done, Metering.StoreMeter? Meter)>();
                lock (_waiting)
                {
                    var operations = 0;
                    while (_waiting.Count > 0 && operations + _waiting[0].Entries.Count <= ProjectTrail.AppendBatch)
                    {
                        operations += _waiting[0].Entries.Count;
                        batch.Add(_waiting[0]);
                        _waiting.RemoveAt(0);
                    }

                    if (batch.Count == 0)
                    {
                        _writing = false;
                        return;
                    }
                }

                try
                {
                    var meter = Metering.StoreMeter.Begin();
                    var sealedAsWritten = await write([.. batch.SelectMany(b => b.Entries)]);
                    Charge(batch, meter);
                    batch.ForEach(b => b.Done.TrySetResult(sealedAsWritten));
                }
                catch (Exception e)
                {
                    batch.ForEach(b => b.Done.TrySetException(e));
                }
            }
        }
    }

    /// <summary>
    /// One project's trail. Sealing reads the head document (<c>audit:head</c>: the last sequence number and hash), chains
    /// up to 99 unsealed records after it, and commits their <c>chain</c> fields with the new head in one batch guarded by
    /// the head's ETag: two sealers cannot both extend the chain from the same head.
    /// </summary>
    private sealed class ProjectTrail(Container container, TimeProvider time, ProjectPartition partition, AppendQueue appends) : IProjectAuditTrail
    {
        private const string HeadId = "audit:head";
        private const string HeadKind = "audit-head";
        private const int SealBatch = CosmosResourceStore.MaxBatchOperations - 1;

        /// <summary>Records per append batch: one operation is left for the head, so the batch can seal what it appends.</summary>
        public const int AppendBatch = CosmosResourceStore.MaxBatchOperations - 1;

        /// <summary>Attempts to seal an append as it is written before it is written unsealed (another sealer keeps moving the head).</summary>
        private const int SealAttempts = 3;

        public async Task<bool> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(entries);
            if (entries.Count > AppendBatch)
            {
                var allSealed = true;
                foreach (var chunk in entries.Chunk(AppendBatch))
                {
                    allSealed &= await WriteAsync(chunk, cancellationToken);
                }

                return allSealed;
            }

            // The batch is shared: one caller's cancellation must not cancel the others' write.
            return await appends.EnqueueAsync(entries, batch => WriteAsync(batch, CancellationToken.None), cancellationToken);
        }

        /// <summary>
        /// Writes <paramref name="entries"/> in one batch, chained after the head and with the new head in the same batch
        /// (guarded by the head's ETag), so a record costs no second write. When the head keeps moving under it (another
        /// instance's appends, the sealer), the records are written unsealed instead, for the sealer: false.
        /// </summary>
        private async Task<bool> WriteAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
        {
            var documents = entries.Select(e => ResourceDocument.Audit(partition.Value, e)).ToList();
            for (var attempt = 0; attempt < SealAttempts; attempt++)
            {
                var head = appends.Head ?? await CachedHeadAsync(cancellationToken);
                var batch = container.CreateTransactionalBatch(partition.Key);
                var (sequence, hash) = (head.Sequence, head.Hash);
                for (var i = 0; i < entries.Count; i++)
                {
                    var previous = hash;
                    sequence++;
                    hash = AuditChain.Link(previous, sequence, entries[i].Event.Utf8Json);
                    batch.CreateItemStream(Serialize(documents[i] with { Chain = new Dictionary<string, object> { ["seq"] = sequence, ["prev"] = previous, ["hash"] = hash } }));
                }

                var newHead = Serialize(new Dictionary<string, object> { ["id"] = HeadId, ["projectId"] = partition.Value, ["kind"] = HeadKind, ["seq"] = sequence, ["hash"] = hash });
                batch = head.ETag is null ? batch.CreateItemStream(newHead) : batch.ReplaceItemStream(HeadId, newHead, new TransactionalBatchItemRequestOptions { IfMatchEtag = head.ETag });
                using var response = await batch.ExecuteAsync(cancellationToken);
                if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound
                    && response[entries.Count].StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
                {
                    appends.Head = null; // the head moved: read it again
                    continue;
                }

                CosmosFailures.EnsureSuccess(response.StatusCode, $"append {entries.Count} audit records", response.RetryAfter);
                appends.Head = new CachedHead(sequence, hash, response[entries.Count].ETag);
                return true;
            }

            var unsealed = container.CreateTransactionalBatch(partition.Key);
            foreach (var document in documents)
            {
                unsealed.CreateItemStream(Serialize(document));
            }

            using var written = await unsealed.ExecuteAsync(cancellationToken);
            CosmosFailures.EnsureSuccess(written.StatusCode, $"append {entries.Count} audit records", written.RetryAfter);
            return false;
        }

        private async Task<CachedHead> CachedHeadAsync(CancellationToken cancellationToken)
        {
            var (head, eTag) = await ReadHeadAsync(cancellationToken);
            return new CachedHead(head?.Sequence ?? 0, head?.Hash ?? AuditChain.Genesis, eTag);
        }

        public async Task<StoredResource?> ReadAsync(string id, CancellationToken cancellationToken)
        {
            using var response = await container.ReadItemStreamAsync(ResourceDocument.AuditId(id), partition.Key, cancellationToken: cancellationToken);
            return response.StatusCode == HttpStatusCode.NotFound ? null
                : await StoredResourceReader.ReadDocumentAsync(CosmosFailures.EnsureSuccess(response, "read an audit record").Content, cancellationToken);
        }

        public async Task<(IReadOnlyList<StoredResource> Events, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var query = CosmosSearchQuery.Build(partition.Value, request, time.GetUtcNow(), kind: ResourceDocument.AuditKind);
            using var iterator = container.GetItemQueryStreamIterator(query, page, partition.Options(Math.Max(request.Count, 1)));
            using var response = await iterator.ReadNextAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                throw new InvalidSearchException(page is not null ? "The page token is not valid." : "This search cannot run.");
            }

            CosmosFailures.EnsureSuccess(response, "search audit records");
            return (await StoredResourceReader.ReadPageAsync(response.Content, cancellationToken), response.ContinuationToken);
        }

        public async Task<int> RedactAsync(IReadOnlySet<string> erased, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(erased);
            var redacted = 0;
            foreach (var reference in erased)
            {
                // The records whose entity index names it (the one query builder writes that SQL); a redacted record no longer
                // matches, so each pass finds what is left.
                var (request, _) = SearchParser.Parse(AuditEvents.ResourceType, [new("entity", reference)], strict: true);
                while (true)
                {
                    var query = CosmosSearchQuery.Build(partition.Value, request!, time.GetUtcNow(), CosmosSearchQuery.Selection.References, limit: 1000,
                        kind: ResourceDocument.AuditKind);
                    var found = new List<string>();
                    using (var iterator = container.GetItemQueryIterator<string>(query, requestOptions: partition.Options()))
                    {
                        while (iterator.HasMoreResults)
                        {
                            found.AddRange(await iterator.ReadNextAsync(cancellationToken));
                        }
                    }

                    var changed = 0;
                    foreach (var record in found)
                    {
                        changed += await RedactOneAsync(ResourceDocument.AuditId(record[(AuditEvents.ResourceType.Length + 1)..]), erased, cancellationToken) ? 1 : 0;
                    }

                    redacted += changed;
                    if (found.Count < 1000 || changed == 0)
                    {
                        break;
                    }
                }
            }

            return redacted;
        }

        /// <summary>Rewrites one record without the erased references, guarded by its ETag (the sealer may patch it meanwhile).</summary>
        private async Task<bool> RedactOneAsync(string documentId, IReadOnlySet<string> erased, CancellationToken cancellationToken)
        {
            while (true)
            {
                using var read = await container.ReadItemStreamAsync(documentId, partition.Key, cancellationToken: cancellationToken);
                if (read.StatusCode == HttpStatusCode.NotFound)
                {
                    return false;
                }

                var document = (await System.Text.Json.Nodes.JsonNode.ParseAsync(CosmosFailures.EnsureSuccess(read, "read an audit record").Content,
                    cancellationToken: cancellationToken))!.AsObject();
                if (AuditEvents.Redact(JsonSerializer.SerializeToUtf8Bytes(document["resource"]), erased) is not var (json, index))
                {
                    return false;
                }

                document["resource"] = System.Text.Json.Nodes.JsonNode.Parse(json);
                document["idx"] = IndexEntryJson.ToIdx(index.Entries);
                document["sort"] = index.SortKeys?.DeepClone();
                document["compartments"] = new System.Text.Json.Nodes.JsonArray([.. index.Compartments.Select(c => (System.Text.Json.Nodes.JsonNode?)c)]);
                using var replaced = await container.ReplaceItemStreamAsync(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document)), documentId, partition.Key,
                    new ItemRequestOptions { IfMatchEtag = read.Headers.ETag }, cancellationToken);
                if (replaced.StatusCode != HttpStatusCode.PreconditionFailed)
                {
                    CosmosFailures.EnsureSuccess(replaced, "redact an audit record");
                    return true;
                }
            }
        }

        public async Task<int> SealAsync(CancellationToken cancellationToken)
        {
            var sealedCount = 0;
            while (true)
            {
                var unsealed = await UnsealedAsync(cancellationToken);
                if (unsealed.Count == 0)
                {
                    return sealedCount;
                }

                sealedCount += await ChainAsync(unsealed, cancellationToken) ? unsealed.Count : 0;
            }
        }

        public async Task<int> SealAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(ids);
            var sealedCount = 0;
            foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(SealBatch))
            {
                // Point reads, not a query: the records named are found without reading the partition. Until the head
                // moves under us no more than a few times; then what is left waits for the next seal or $verify.
                for (var attempt = 0; attempt < 10; attempt++)
                {
                    var unsealed = (await Task.WhenAll(chunk.Select(id => ReadUnsealedAsync(id, cancellationToken)))).OfType<(string, byte[], string)>().ToList();
                    if (unsealed.Count == 0 || await ChainAsync(unsealed, cancellationToken))
                    {
                        sealedCount += unsealed.Count;
                        break;
                    }
                }
            }

            return sealedCount;
        }

        /// <summary>
        /// Chains <paramref name="unsealed"/> after the head and commits their chain fields with the new head, guarded by
        /// the head's ETag and each record's; false when another sealer moved the head or a record changed meanwhile.
        /// </summary>
        private async Task<bool> ChainAsync(IReadOnlyList<(string Id, byte[] Resource, string ETag)> unsealed, CancellationToken cancellationToken)
        {
            var (head, eTag) = await ReadHeadAsync(cancellationToken);
            var batch = container.CreateTransactionalBatch(partition.Key);
            var (sequence, hash) = (head?.Sequence ?? 0, head?.Hash ?? AuditChain.Genesis);
            foreach (var (id, resource, recordETag) in unsealed)
            {
                var previous = hash;
                sequence++;
                hash = AuditChain.Link(previous, sequence, resource);
                // Guarded by the record's ETag: a record another sealer chained meanwhile (read from a lagging replica) is not chained twice.
                batch.PatchItem(id, [PatchOperation.Set("/chain", new Dictionary<string, object> { ["seq"] = sequence, ["prev"] = previous, ["hash"] = hash })],
                    new TransactionalBatchPatchItemRequestOptions { IfMatchEtag = recordETag });
            }

            var newHead = Serialize(new Dictionary<string, object> { ["id"] = HeadId, ["projectId"] = partition.Value, ["kind"] = HeadKind, ["seq"] = sequence, ["hash"] = hash });
            batch = eTag is null ? batch.CreateItemStream(newHead) : batch.ReplaceItemStream(HeadId, newHead, new TransactionalBatchItemRequestOptions { IfMatchEtag = eTag });
            using var response = await batch.ExecuteAsync(cancellationToken);
            if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
            {
                return false; // another sealer moved the head, a record changed or expired meanwhile: read again
            }

            CosmosFailures.EnsureSuccess(response.StatusCode, "seal audit records", response.RetryAfter);
            return true;
        }

        /// <summary>The record <paramref name="id"/> (an AuditEvent id) if it is there and not sealed yet.</summary>
        private async Task<(string Id, byte[] Resource, string ETag)?> ReadUnsealedAsync(string id, CancellationToken cancellationToken)
        {
            var documentId = ResourceDocument.AuditId(id);
            using var response = await container.ReadItemStreamAsync(documentId, partition.Key, cancellationToken: cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            using var document = await JsonDocument.ParseAsync(CosmosFailures.EnsureSuccess(response, "read an audit record").Content, cancellationToken: cancellationToken);
            return document.RootElement.TryGetProperty("chain", out _) || !document.RootElement.TryGetProperty("resource", out var resource)
                ? null
                : (documentId, JsonSerializer.SerializeToUtf8Bytes(resource), response.Headers.ETag);
        }

        public async Task<AuditHead?> HeadAsync(CancellationToken cancellationToken) => (await ReadHeadAsync(cancellationToken)).Head;

        public async IAsyncEnumerable<AuditLink> ChainAsync(DateTimeOffset? since, DateTimeOffset? until, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var low = since is { } s ? await BoundAsync("MIN", "c.lastUpdated >= @time", s, cancellationToken) : 0;
            var high = until is { } u ? await BoundAsync("MAX", "c.lastUpdated <= @time", u, cancellationToken) : long.MaxValue;
            if (low is null || high is null)
            {
                yield break;
            }

            var query = partition.Query("SELECT c.resourceId, c.chain, c.resource",
                    "c.kind = @kind AND IS_DEFINED(c.chain) AND c.chain.seq >= @low AND c.chain.seq <= @high ORDER BY c.chain.seq")
                .WithParameter("@kind", ResourceDocument.AuditKind).WithParameter("@low", low).WithParameter("@high", high);
            using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: partition.Options(1000));
            while (iterator.HasMoreResults)
            {
                using var response = await iterator.ReadNextAsync(cancellationToken);
                CosmosFailures.EnsureSuccess(response, "read the audit chain");
                using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
                foreach (var document in page.RootElement.GetProperty("Documents").EnumerateArray())
                {
                    yield return Link(document);
                }
            }
        }

        /// <summary>A sealed record as it is stored; a record whose chain fields were tampered into another shape links to nothing.</summary>
        private static AuditLink Link(JsonElement document)
        {
            var chain = document.GetProperty("chain");
            string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
            var sequence = chain.TryGetProperty("seq", out var seq) && seq.TryGetInt64(out var n) ? n : -1;
            var resource = document.TryGetProperty("resource", out var r) ? JsonSerializer.SerializeToUtf8Bytes(r) : [];
            return new AuditLink(Text(document, "resourceId"), sequence, Text(chain, "prev"), Text(chain, "hash"), resource);
        }

        private async Task<long?> BoundAsync(string aggregate, string condition, DateTimeOffset at, CancellationToken cancellationToken)
        {
            var query = partition.Query($"SELECT VALUE {aggregate}(c.chain.seq)", $"c.kind = @kind AND IS_DEFINED(c.chain) AND {condition}")
                .WithParameter("@kind", ResourceDocument.AuditKind).WithParameter("@time", DateRange.Text(at));
            using var iterator = container.GetItemQueryIterator<long?>(query, requestOptions: partition.Options());
            long? bound = null;
            while (iterator.HasMoreResults)
            {
                foreach (var value in await iterator.ReadNextAsync(cancellationToken))
                {
                    bound ??= value;
                }
            }

            return bound;
        }

        private async Task<List<(string Id, byte[] Resource, string ETag)>> UnsealedAsync(CancellationToken cancellationToken)
        {
            var query = partition.Query($"SELECT TOP {SealBatch} c.id, c.resource, c._etag", "c.kind = @kind AND NOT IS_DEFINED(c.chain)")
                .WithParameter("@kind", ResourceDocument.AuditKind);
            var found = new List<(string, byte[], string)>();
            using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: partition.Options(SealBatch));
            while (iterator.HasMoreResults && found.Count < SealBatch)
            {
                using var response = await iterator.ReadNextAsync(cancellationToken);
                CosmosFailures.EnsureSuccess(response, "read unsealed audit records");
                using var page = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
                foreach (var document in page.RootElement.GetProperty("Documents").EnumerateArray())
                {
                    found.Add((document.GetProperty("id").GetString()!, JsonSerializer.SerializeToUtf8Bytes(document.GetProperty("resource")), document.GetProperty("_etag").GetString()!));
                }
            }

            return found;
        }

        private async Task<(AuditHead? Head, string? ETag)> ReadHeadAsync(CancellationToken cancellationToken)
        {
            using var response = await container.ReadItemStreamAsync(HeadId, partition.Key, cancellationToken: cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (null, null);
            }

            using var head = await JsonDocument.ParseAsync(CosmosFailures.EnsureSuccess(response, "read the audit head").Content, cancellationToken: cancellationToken);
            return (new AuditHead(head.RootElement.GetProperty("seq").GetInt64(), head.RootElement.GetProperty("hash").GetString()!), response.Headers.ETag);
        }

        private static MemoryStream Serialize<T>(T document) => new(JsonSerializer.SerializeToUtf8Bytes(document));
    }

    /// <summary>The chain's head: its sequence number, hash, and the head document's ETag (null: there is none yet).</summary>
    private sealed record CachedHead(long Sequence, string Hash, string? ETag);
}
