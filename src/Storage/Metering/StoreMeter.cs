using System.Collections.Concurrent;

namespace Enclave.Storage.Metering;

/// <summary>
/// What one invocation's store calls cost: how many calls and their request charge (the SDK's own retries of a call
/// are not seen: they happen below the handler that counts). The
/// invocation begins a meter (<see cref="Begin"/>); every call the SDK sends while it runs, in this async flow, is
/// added to it by <see cref="Cosmos.CosmosRequestMetrics"/>, under the partition it named. The totals are the
/// <see cref="ProjectId"/>'s share: calls in its own partition and queries across partitions (its linked projects).
/// Calls in other partitions — the shared identity documents a sign-in or an invitation reads — are not charged to
/// the project, since what they cost could tell it about other projects' users. A group-committed audit batch is
/// metered on its own and shared among the appends it carried.
/// </summary>
public sealed class StoreMeter
{
    private static readonly AsyncLocal<StoreMeter?> s_current = new();
    private readonly ConcurrentDictionary<string, Usage> _byPartition = new(StringComparer.Ordinal);
    private long _exportBytes;

    private StoreMeter()
    {
    }

    /// <summary>The meter of the invocation running in this async flow, or null outside one.</summary>
    public static StoreMeter? Current => s_current.Value;

    /// <summary>The project the invocation is charged to (set once the caller is known).</summary>
    public string? ProjectId { get; set; }

    /// <summary>The project's store calls so far (each retry its own).</summary>
    public long Calls => Own().Sum(u => Interlocked.Read(ref u.Calls));

    /// <summary>The project's request units so far.</summary>
    public double RequestCharge => Own().Sum(u => Interlocked.Read(ref u.ChargeMillis)) / 1000.0;

    /// <summary>Bytes staged into export or backup files.</summary>
    public long ExportBytes => Interlocked.Read(ref _exportBytes);

    /// <summary>Starts metering this async flow, charged to <paramref name="projectId"/> if known.</summary>
    public static StoreMeter Begin(string? projectId = null)
    {
        var meter = new StoreMeter { ProjectId = projectId };
        s_current.Value = meter;
        return meter;
    }

    /// <summary>Counts <paramref name="bytes"/> staged into an export file by this flow.</summary>
    public static void Exported(long bytes)
    {
        if (s_current.Value is { } meter)
        {
            Interlocked.Add(ref meter._exportBytes, bytes);
        }
    }

    /// <summary>The partition header value a call in <paramref name="projectId"/>'s partition carries.</summary>
    public static string PartitionHeader(string projectId) => $"[\"{projectId}\"]";

    /// <summary>A call to the partition named by <paramref name="partitionHeader"/> (null: across partitions).</summary>
    internal void Record(string? partitionHeader, double charge)
    {
        var usage = _byPartition.GetOrAdd(partitionHeader ?? string.Empty, _ => new Usage());
        Interlocked.Increment(ref usage.Calls);
        Interlocked.Add(ref usage.ChargeMillis, (long)Math.Round(charge * 1000));
    }

    /// <summary>Every call of this meter, whatever its partition.</summary>
    internal double TotalCharge => _byPartition.Values.Sum(u => Interlocked.Read(ref u.ChargeMillis)) / 1000.0;

    /// <summary>How many calls this meter counted, whatever their partition.</summary>
    internal long TotalCalls => _byPartition.Values.Sum(u => Interlocked.Read(ref u.Calls));

    /// <summary>A share of calls made on this invocation's behalf in another flow (its audit record's batch), in its own partition.</summary>
    internal void Add(double charge, long calls)
    {
        var usage = _byPartition.GetOrAdd(OwnKey, _ => new Usage());
        Interlocked.Add(ref usage.Calls, calls);
        Interlocked.Add(ref usage.ChargeMillis, (long)Math.Round(charge * 1000));
    }

    /// <summary>Where calls made for this invocation elsewhere are kept: counted as its own, whatever project it turns out to be.</summary>
    private const string OwnKey = "own";

    private IEnumerable<Usage> Own()
    {
        var own = ProjectId is null ? null : PartitionHeader(ProjectId);
        return _byPartition.Where(p => p.Key.Length == 0 || p.Key == own || p.Key == OwnKey).Select(p => p.Value);
    }

    private sealed class Usage
    {
        public long Calls;
        public long ChargeMillis;
    }
}
