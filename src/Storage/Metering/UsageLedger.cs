using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Metering;

/// <summary>
/// Each project's usage per minute, counted in memory on this instance as requests and store calls happen, and
/// written to the project's partition by <see cref="FlushAsync"/> off the request path: one document per project,
/// minute and instance (<c>usage:{yyyyMMddHHmm}:{instance}</c>, upserted with this instance's running totals for the
/// minute, so a repeated flush changes nothing), and one storage document (<c>usage:storage</c>: live resources and
/// their JSON bytes per type, changed by commits), updated under its ETag. What a crash can lose is what the instance
/// counted since its last flush. <see cref="ReadAsync"/> sums the instances' documents. The same figures are
/// OpenTelemetry metrics of the meter <see cref="CosmosRequestMetrics.MeterName"/>, tagged with the project: bytes in,
/// out and exported, refusals, and gauges of what each project this instance knows stores and how close it is to a
/// logical partition's ceilings (an alert on those is the partition-health warning outside <c>$usage</c>).
/// </summary>
public sealed class UsageLedger : IDisposable
{
    /// <summary>Cosmos DB's limit on one logical partition's storage.</summary>
    public const long PartitionStorageBytes = 20L * 1024 * 1024 * 1024;

    /// <summary>Cosmos DB's limit on one logical partition's throughput.</summary>
    public const int PartitionRequestUnitsPerSecond = 10_000;

    private const string StorageId = "usage:storage";
    private readonly ConcurrentDictionary<(string Project, long Minute), MinuteUsage> _minutes = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, StorageDelta>> _storage = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredTotals> _stored = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _toRead = new(StringComparer.Ordinal);
    private readonly Container _container;
    private readonly TimeProvider _time;
    private readonly string _instance;
    private readonly TimeSpan _retention;
    private readonly Meter _meter = new(CosmosRequestMetrics.MeterName);
    private readonly Counter<long> _bytesIn, _bytesOut, _exportBytes, _refused;

    /// <summary>A ledger writing to <paramref name="container"/> as <paramref name="instance"/>, its minutes kept for <paramref name="retention"/>.</summary>
    public UsageLedger(Container container, TimeProvider time, string instance, TimeSpan retention)
    {
        (_container, _time, _instance, _retention) = (container, time, instance, retention);
        _bytesIn = _meter.CreateCounter<long>("enclave.usage.bytes_in", "By", "Request bytes received, by project.");
        _bytesOut = _meter.CreateCounter<long>("enclave.usage.bytes_out", "By", "Answer bytes sent, by project.");
        _exportBytes = _meter.CreateCounter<long>("enclave.usage.export_bytes", "By", "Bytes of export files written, by project.");
        _refused = _meter.CreateCounter<long>("enclave.usage.refused", description: "Requests a quota refused, by project.");
        _meter.CreateObservableGauge("enclave.project.storage_bytes", () => Gauge(bytes => bytes), "By",
            "Live resources' JSON bytes of each project this instance knows, as of its last flush plus its commits since.");
        _meter.CreateObservableGauge("enclave.partition.storage_fraction", () => Gauge(bytes => (double)bytes / PartitionStorageBytes),
            description: "A project's stored bytes over a logical partition's 20 GB.");
        _meter.CreateObservableGauge("enclave.partition.throughput_fraction", ThroughputFractions,
            description: "This instance's request units per second for a project in the last whole minute, over a logical partition's 10,000 RU/s (sum over instances).");
    }

    /// <summary>The minute <paramref name="at"/> falls in, as Unix minutes.</summary>
    private static long MinuteOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    private MinuteUsage Now(string projectId) => _minutes.GetOrAdd((projectId, MinuteOf(_time.GetUtcNow())), _ => new MinuteUsage());

    /// <summary>
    /// An answered request of <paramref name="projectId"/>: its interaction, what its store calls cost
    /// (<paramref name="meter"/>), the bytes it read and sent, and whether a quota refused it.
    /// </summary>
    public void RecordRequest(string projectId, string interaction, StoreMeter meter, long bytesIn, long bytesOut, bool refused)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Now(projectId).Add(interaction, meter, bytesIn, bytesOut, refused);
        var project = new KeyValuePair<string, object?>("project", projectId);
        _bytesIn.Add(bytesIn, project);
        _bytesOut.Add(bytesOut, project);
        _exportBytes.Add(meter.ExportBytes, project);
        if (refused)
        {
            _refused.Add(1, project);
        }
    }

    /// <summary>Work done for <paramref name="projectId"/> off the request path (an export, erasure or restore step): its store calls and export bytes.</summary>
    public void RecordBackground(string projectId, StoreMeter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Now(projectId).Add(null, meter, 0, 0, refused: false);
        _exportBytes.Add(meter.ExportBytes, new KeyValuePair<string, object?>("project", projectId));
    }

    /// <summary>A commit changed <paramref name="projectId"/>'s live resources of <paramref name="type"/> by <paramref name="count"/> and their JSON by <paramref name="bytes"/>.</summary>
    public void RecordStorage(string projectId, string type, long count, long bytes)
    {
        var delta = _storage.GetOrAdd(projectId, _ => new(StringComparer.Ordinal)).GetOrAdd(type, _ => new StorageDelta());
        delta.Add(count, bytes);
    }

    /// <summary>
    /// What <paramref name="projectId"/> stores as this instance last read it (at a flush) plus what this instance's
    /// commits added since: its live resources' JSON bytes, and its live resources of <paramref name="type"/>. Null
    /// until a flush has read the project's storage document (the first requests of a project on an instance are not
    /// held up for it).
    /// </summary>
    public (long Bytes, long Count)? Stored(string projectId, string type)
    {
        _toRead.TryAdd(projectId, 0); // read again at the next flush: other instances may have written or deleted meanwhile
        if (!_stored.TryGetValue(projectId, out var stored))
        {
            return null;
        }

        var pending = _storage.TryGetValue(projectId, out var types) ? types : null;
        var bytes = stored.Bytes + (pending?.Values.Sum(d => d.Bytes) ?? 0);
        var count = stored.Counts.GetValueOrDefault(type) + (pending is not null && pending.TryGetValue(type, out var delta) ? delta.Count : 0);
        return (bytes, count);
    }

    /// <summary>One measurement per project this instance knows the storage of: <paramref name="value"/> of its stored bytes.</summary>
    private IEnumerable<Measurement<T>> Gauge<T>(Func<long, T> value)
        where T : struct =>
        _stored.Select(s =>
        {
            var pending = _storage.TryGetValue(s.Key, out var types) ? types.Values.Sum(d => d.Bytes) : 0;
            return new Measurement<T>(value(s.Value.Bytes + pending), new KeyValuePair<string, object?>("project", s.Key));
        });

    private IEnumerable<Measurement<double>> ThroughputFractions()
    {
        var last = MinuteOf(_time.GetUtcNow()) - 1;
        return _minutes.Where(m => m.Key.Minute == last)
            .Select(m => new Measurement<double>(m.Value.RequestCharge / 60 / PartitionRequestUnitsPerSecond, new KeyValuePair<string, object?>("project", m.Key.Project)));
    }

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();

    /// <summary>The request units this instance has charged to <paramref name="projectId"/> in the current minute.</summary>
    public double RequestChargeThisMinute(string projectId) =>
        _minutes.TryGetValue((projectId, MinuteOf(_time.GetUtcNow())), out var usage) ? usage.RequestCharge : 0;

    /// <summary>Writes what was counted since the last flush; minutes that have ended are then forgotten.</summary>
    /// <remarks>One project's failure (a throttled or full partition) does not hold up the others: the first failure is thrown once every project was tried.</remarks>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Exception? failed = null;
        async Task TryAsync(Func<Task> write)
        {
            try
            {
                await write();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed ??= e;
            }
        }

        var current = MinuteOf(_time.GetUtcNow());
        var gone = new HashSet<string>(StringComparer.Ordinal);
        foreach (var project in _minutes.Keys.Select(k => k.Project).Concat(_storage.Keys).Concat(_toRead.Keys).Distinct(StringComparer.Ordinal).ToList())
        {
            await TryAsync(async () =>
            {
                if (!await ExistsAsync(project, cancellationToken))
                {
                    gone.Add(project);
                }
            });
        }

        foreach (var key in _minutes.Keys.Where(k => gone.Contains(k.Project)))
        {
            _minutes.TryRemove(key, out _); // a deleted project's partition gets no new document
        }

        foreach (var project in gone)
        {
            _storage.TryRemove(project, out _);
            _stored.TryRemove(project, out _);
            _toRead.TryRemove(project, out _);
        }

        foreach (var ((project, minute), usage) in _minutes)
        {
            await TryAsync(async () =>
            {
                await WriteIfDirtyAsync(project, minute, usage, cancellationToken);
                if (minute < current - 1)
                {
                    _minutes.TryRemove((project, minute), out _);
                    await WriteIfDirtyAsync(project, minute, usage, cancellationToken); // a last count that raced the removal
                }
            });
        }

        foreach (var (project, types) in _storage)
        {
            var deltas = types.Select(t => (Type: t.Key, Delta: t.Value.Take())).Where(d => d.Delta != (0, 0)).ToList();
            if (deltas.Count == 0)
            {
                continue;
            }

            await TryAsync(async () =>
            {
                try
                {
                    await AddStorageAsync(project, [.. deltas.Select(d => new KeyValuePair<string, (long, long)>(d.Type, d.Delta))], cancellationToken);
                    _toRead.TryRemove(project, out _); // just written: what it stores is known
                }
                catch
                {
                    deltas.ForEach(d => RecordStorage(project, d.Type, d.Delta.Count, d.Delta.Bytes)); // kept for the next flush
                    throw;
                }
            });
        }

        // Projects whose storage quotas were checked since the last flush: what they store now, other instances' writes included.
        foreach (var project in _toRead.Keys.ToList())
        {
            await TryAsync(async () =>
            {
                _stored[project] = await ReadStoredAsync(project, cancellationToken);
                _toRead.TryRemove(project, out _);
            });
        }

        if (failed is not null)
        {
            throw failed;
        }
    }

    /// <summary>The usage of <paramref name="projectId"/> per minute in [<paramref name="from"/>, <paramref name="to"/>], every instance's summed, and its storage.</summary>
    public async Task<(IReadOnlyList<JsonObject> Minutes, JsonObject Storage)> ReadAsync(string projectId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        var query = partition.Query("SELECT *", "c.kind = 'usage' AND c.minute >= @from AND c.minute <= @to")
            .WithParameter("@from", MinuteText(MinuteOf(from))).WithParameter("@to", MinuteText(MinuteOf(to)));
        var byMinute = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        using (var iterator = _container.GetItemQueryStreamIterator(query, null, partition.Options()))
        {
            while (iterator.HasMoreResults)
            {
                using var page = await iterator.ReadNextAsync(cancellationToken);
                CosmosFailures.EnsureSuccess(page, "read usage");
                var documents = (await JsonNode.ParseAsync(page.Content, cancellationToken: cancellationToken))!["Documents"]!.AsArray();
                foreach (var document in documents.OfType<JsonObject>())
                {
                    var minute = document["minute"]!.GetValue<string>();
                    byMinute[minute] = Sum(byMinute.TryGetValue(minute, out var sum) ? sum : new JsonObject { ["minute"] = minute }, document);
                }
            }
        }

        using var storage = await _container.ReadItemStreamAsync(StorageId, partition.Key, cancellationToken: cancellationToken);
        var types = storage.StatusCode == HttpStatusCode.NotFound ? new JsonObject()
            : (await JsonNode.ParseAsync(CosmosFailures.EnsureSuccess(storage, "read storage usage").Content, cancellationToken: cancellationToken))!["types"]!.DeepClone().AsObject();
        return ([.. byMinute.Values], types);
    }

    private async Task<StoredTotals> ReadStoredAsync(string projectId, CancellationToken cancellationToken)
    {
        using var read = await _container.ReadItemStreamAsync(StorageId, ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        return read.StatusCode == HttpStatusCode.NotFound ? StoredTotals.Of(new JsonObject())
            : StoredTotals.Of((await JsonNode.ParseAsync(CosmosFailures.EnsureSuccess(read, "read storage usage").Content, cancellationToken: cancellationToken))!["types"]!.AsObject());
    }

    /// <summary>Whether the project's document is still in its partition (a deleted project's counts are dropped).</summary>
    private async Task<bool> ExistsAsync(string projectId, CancellationToken cancellationToken)
    {
        using var response = await _container.ReadItemStreamAsync($"Project:{projectId}", ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        CosmosFailures.EnsureSuccess(response, "read a project");
        return true;
    }

    private async Task WriteIfDirtyAsync(string project, long minute, MinuteUsage usage, CancellationToken cancellationToken)
    {
        if (!usage.TakeDirty())
        {
            return;
        }

        try
        {
            await UpsertMinuteAsync(project, minute, usage.ToJson(), cancellationToken);
        }
        catch
        {
            usage.MarkDirty();
            _minutes.TryAdd((project, minute), usage); // an ended minute stays until it is written
            throw;
        }
    }

    /// <summary>Adds the counts of <paramref name="document"/> (a minute of usage) to <paramref name="sum"/>, and returns it.</summary>
    public static JsonObject Sum(JsonObject sum, JsonObject document)
    {
        var requests = sum["requests"] as JsonObject ?? new JsonObject();
        foreach (var (interaction, count) in document["requests"]?.AsObject() ?? [])
        {
            requests[interaction] = (requests[interaction]?.GetValue<long>() ?? 0) + count!.GetValue<long>();
        }

        sum["requests"] = requests;
        sum["requestCharge"] = Math.Round((sum["requestCharge"]?.GetValue<double>() ?? 0) + document["requestCharge"]!.GetValue<double>(), 3);
        foreach (var name in new[] { "storeCalls", "bytesIn", "bytesOut", "exportBytes", "refused" })
        {
            sum[name] = (sum[name]?.GetValue<long>() ?? 0) + (document[name]?.GetValue<long>() ?? 0);
        }

        return sum;
    }

    private static string MinuteText(long minute) => DateTimeOffset.FromUnixTimeSeconds(minute * 60).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:00Z", CultureInfo.InvariantCulture);

    private async Task UpsertMinuteAsync(string projectId, long minute, JsonObject counts, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        var stamp = DateTimeOffset.FromUnixTimeSeconds(minute * 60).UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
        counts["id"] = $"usage:{stamp}:{_instance}";
        counts["projectId"] = partition.Value;
        counts["kind"] = "usage";
        counts["minute"] = MinuteText(minute);
        counts["instance"] = _instance;
        counts["ttl"] = (int)_retention.TotalSeconds;
        using var response = await _container.UpsertItemStreamAsync(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(counts)), partition.Key, cancellationToken: cancellationToken);
        CosmosFailures.EnsureSuccess(response, "write usage");
    }

    private async Task AddStorageAsync(string projectId, List<KeyValuePair<string, (long Count, long Bytes)>> deltas, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        while (true)
        {
            using var read = await _container.ReadItemStreamAsync(StorageId, partition.Key, cancellationToken: cancellationToken);
            var document = read.StatusCode == HttpStatusCode.NotFound
                ? new JsonObject { ["id"] = StorageId, ["projectId"] = partition.Value, ["kind"] = "usage-storage", ["types"] = new JsonObject() }
                : (await JsonNode.ParseAsync(CosmosFailures.EnsureSuccess(read, "read storage usage").Content, cancellationToken: cancellationToken))!.AsObject();
            var types = document["types"]!.AsObject();
            foreach (var (type, (count, bytes)) in deltas)
            {
                var entry = types[type] as JsonObject ?? new JsonObject { ["count"] = 0L, ["bytes"] = 0L };
                types[type] = new JsonObject { ["count"] = Math.Max(0, entry["count"]!.GetValue<long>() + count), ["bytes"] = Math.Max(0, entry["bytes"]!.GetValue<long>() + bytes) };
            }

            var body = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document));
            using var written = read.StatusCode == HttpStatusCode.NotFound
                ? await _container.CreateItemStreamAsync(body, partition.Key, cancellationToken: cancellationToken)
                : await _container.ReplaceItemStreamAsync(body, StorageId, partition.Key, new ItemRequestOptions { IfMatchEtag = read.Headers.ETag }, cancellationToken);
            if (written.StatusCode is not (HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict))
            {
                CosmosFailures.EnsureSuccess(written, "write storage usage");
                _stored[projectId] = StoredTotals.Of(types);
                return;
            }
        }
    }

    /// <summary>One project's counts in one minute on this instance.</summary>
    private sealed class MinuteUsage
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, long> _requests = new(StringComparer.Ordinal);
        private long _chargeMillis, _calls, _bytesIn, _bytesOut, _exportBytes, _refused;
        private bool _dirty;

        public double RequestCharge
        {
            get
            {
                lock (_lock)
                {
                    return _chargeMillis / 1000.0;
                }
            }
        }

        public void Add(string? interaction, StoreMeter meter, long bytesIn, long bytesOut, bool refused)
        {
            lock (_lock)
            {
                if (interaction is not null)
                {
                    _requests[interaction] = _requests.GetValueOrDefault(interaction) + 1;
                }

                _calls += meter.Calls;
                _chargeMillis += (long)Math.Round(meter.RequestCharge * 1000);
                _exportBytes += meter.ExportBytes;
                (_bytesIn, _bytesOut, _refused, _dirty) = (_bytesIn + bytesIn, _bytesOut + bytesOut, _refused + (refused ? 1 : 0), true);
            }
        }

        public void MarkDirty()
        {
            lock (_lock)
            {
                _dirty = true;
            }
        }

        public bool TakeDirty()
        {
            lock (_lock)
            {
                var dirty = _dirty;
                _dirty = false;
                return dirty;
            }
        }

        public JsonObject ToJson()
        {
            lock (_lock)
            {
                var requests = new JsonObject();
                foreach (var (interaction, count) in _requests)
                {
                    requests[interaction] = count;
                }

                return new JsonObject
                {
                    ["requests"] = requests,
                    ["requestCharge"] = _chargeMillis / 1000.0,
                    ["storeCalls"] = _calls,
                    ["bytesIn"] = _bytesIn,
                    ["bytesOut"] = _bytesOut,
                    ["exportBytes"] = _exportBytes,
                    ["refused"] = _refused,
                };
            }
        }
    }

    /// <summary>A project's storage as its document said at the last flush.</summary>
    private sealed record StoredTotals(long Bytes, IReadOnlyDictionary<string, long> Counts)
    {
        public static StoredTotals Of(JsonObject types) => new(
            types.Sum(t => t.Value?["bytes"]?.GetValue<long>() ?? 0),
            types.ToDictionary(t => t.Key, t => t.Value?["count"]?.GetValue<long>() ?? 0, StringComparer.Ordinal));
    }

    /// <summary>A type's change in live resources and bytes since the last flush.</summary>
    private sealed class StorageDelta
    {
        private long _count, _bytes;

        public long Count => Interlocked.Read(ref _count);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(long count, long bytes)
        {
            Interlocked.Add(ref _count, count);
            Interlocked.Add(ref _bytes, bytes);
        }

        public (long Count, long Bytes) Take() => (Interlocked.Exchange(ref _count, 0), Interlocked.Exchange(ref _bytes, 0));
    }
}
