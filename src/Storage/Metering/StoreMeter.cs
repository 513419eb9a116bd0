namespace Enclave.Storage.Metering;

/// <summary>
/// What one invocation's store calls cost: how many calls, their request charge, how many Cosmos DB throttled. The
/// invocation begins a meter (<see cref="Begin"/>); every call the SDK sends while it runs, in this async flow, is
/// added to it by <see cref="Cosmos.CosmosRequestMetrics"/>. A group-committed audit batch is charged to the invocation
/// whose flow wrote it.
/// </summary>
public sealed class StoreMeter
{
    private static readonly AsyncLocal<StoreMeter?> s_current = new();
    private long _calls;
    private long _chargeMillis;
    private long _throttled;
    private long _exportBytes;

    private StoreMeter()
    {
    }

    /// <summary>The meter of the invocation running in this async flow, or null outside one.</summary>
    public static StoreMeter? Current => s_current.Value;

    /// <summary>The project the invocation's calls are charged to when a call names no partition (set once the caller is known).</summary>
    public string? ProjectId { get; set; }

    /// <summary>Store calls so far (each retry its own).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Request units charged so far.</summary>
    public double RequestCharge => Interlocked.Read(ref _chargeMillis) / 1000.0;

    /// <summary>Calls Cosmos DB answered 429.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Bytes staged into export or backup files.</summary>
    public long ExportBytes => Interlocked.Read(ref _exportBytes);

    /// <summary>Counts <paramref name="bytes"/> staged into an export file by this flow.</summary>
    public static void Exported(long bytes)
    {
        if (s_current.Value is { } meter)
        {
            Interlocked.Add(ref meter._exportBytes, bytes);
        }
    }

    /// <summary>Starts metering this async flow; the meter ends with the flow (or when the returned scope is disposed).</summary>
    public static StoreMeter Begin(string? projectId = null)
    {
        var meter = new StoreMeter { ProjectId = projectId };
        s_current.Value = meter;
        return meter;
    }

    internal void Record(double charge, bool throttled)
    {
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _chargeMillis, (long)Math.Round(charge * 1000));
        if (throttled)
        {
            Interlocked.Increment(ref _throttled);
        }
    }
}
