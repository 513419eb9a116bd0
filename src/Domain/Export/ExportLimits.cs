namespace Enclave.Domain.Export;

/// <summary>The bounds an export runs within (the <c>Export</c> settings).</summary>
public sealed record ExportLimits
{
    /// <summary>The most blocks one file is given: Blob Storage allows 50,000, and the job keeps each id (about 45 bytes) until the file is committed.</summary>
    public const int MaxBlocksPerFile = 10_000;

    /// <summary>Resources per page read (at most one block).</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>A block ends once it holds this many bytes (a single resource larger than this still makes a block of its own).</summary>
    public long MaxBlockBytes { get; init; } = 4L << 20;

    /// <summary>A file rolls over to the next (<c>Patient-2.ndjson</c>) before a block would take it past this size.</summary>
    public long MaxFileBytes { get; init; } = 1L << 30;

    /// <summary>How long a job lives after its last step, and its files after it completes.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How long a running job may go without a step before a status request re-drives it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Re-drives without progress in between before the job is failed.</summary>
    public int MaxRedrives { get; init; } = 3;

    /// <summary>Throttled attempts of one step (without progress in between) before the job is failed.</summary>
    public int MaxThrottledRetries { get; init; } = 20;

    /// <summary>How long one invocation goes on writing blocks, each recorded as it is written (zero: one block per invocation).</summary>
    public TimeSpan StepDuration { get; init; } = TimeSpan.FromSeconds(10);
}
