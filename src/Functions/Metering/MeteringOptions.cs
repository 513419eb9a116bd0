using System.ComponentModel.DataAnnotations;
using Enclave.Domain.Metering;

namespace Enclave.Functions.Metering;

/// <summary>
/// Usage metering and the quotas' defaults (section <c>Metering</c>): how often counts are written, how long they are
/// kept, each quota a project without its own setting gets (0: no limit), and when partition health warns.
/// </summary>
public sealed class MeteringOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Metering";

    /// <summary>How often an instance writes what it counted (what a crash can lose).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long per-minute usage is kept.</summary>
    [Range(1, 3660)]
    public int RetentionDays { get; set; } = 400;

    /// <summary>Requests per second a project may send to one instance (<c>quotaRequestsPerSecond</c>); 0: no limit.</summary>
    [Range(0, 100_000)]
    public int RequestsPerSecond { get; set; }

    /// <summary>Request units per minute a project may spend on one instance (<c>quotaRequestUnitsPerMinute</c>); 0: no limit.</summary>
    [Range(0, 100_000_000)]
    public int RequestUnitsPerMinute { get; set; }

    /// <summary>Entries one batch or transaction may hold (<c>quotaBundleEntries</c>); 0: the server's 1,000.</summary>
    [Range(0, 1000)]
    public int BundleEntries { get; set; }

    /// <summary>Bytes of live resources' JSON a project may store (<c>quotaStorageBytes</c>); 0: no limit.</summary>
    [Range(0L, 20L * 1024 * 1024 * 1024)]
    public long StorageBytes { get; set; }

    /// <summary>Live resources of one type a project may hold (<c>quotaResourcesPerType</c>); 0: no limit.</summary>
    [Range(0L, 1_000_000_000L)]
    public long ResourcesPerType { get; set; }

    /// <summary>The fraction of Cosmos DB's 20 GB logical partition, or of its 10,000 RU/s, past which a project is warned of.</summary>
    [Range(0.01, 1.0)]
    public double PartitionWarningFraction { get; set; } = 0.8;

    /// <summary>The defaults of a project's quotas (concurrent exports default to <c>Export:MaxConcurrentJobsPerProject</c>).</summary>
    public ProjectQuotas Quotas(int concurrentExports) => new(RequestsPerSecond, RequestUnitsPerMinute, BundleEntries, concurrentExports)
    {
        StorageBytes = StorageBytes,
        ResourcesPerType = ResourcesPerType,
    };
}
