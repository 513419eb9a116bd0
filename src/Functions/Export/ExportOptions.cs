using System.ComponentModel.DataAnnotations;
using Enclave.Domain.Export;

namespace Enclave.Functions.Export;

/// <summary>Bulk Data export settings (section <c>Export</c>).</summary>
public sealed class ExportOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Export";

    /// <summary>Jobs one project may have running at once; one more kick-off answers 429.</summary>
    [Range(1, 100)]
    public int MaxConcurrentJobsPerProject { get; set; } = 2;

    /// <summary>How long a job's manifest and files stay downloadable.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Resources per page read (at most one block of a file); the most a search page holds, since every step also pays a job write and a queue message.</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 1000;

    /// <summary>Member patients per search of a Group export (or a Patient export with <c>patient</c>): how many compartments one query names.</summary>
    [Range(1, 1000)]
    public int MemberChunkSize { get; set; } = 100;

    /// <summary>Bytes a block (one step's write) may hold; a page with more is cut.</summary>
    [Range(1024L, 100L << 20)]
    public long MaxBlockBytes { get; set; } = 4L << 20;

    /// <summary>Bytes after which a type's file rolls over to the next (<c>Patient-2.ndjson</c>).</summary>
    [Range(1024L, 1L << 40)]
    public long MaxFileBytes { get; set; } = 1L << 30;

    /// <summary>How long a running job may go without a step before its status request re-drives it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Re-drives without progress before a stalled job is failed.</summary>
    [Range(0, 100)]
    public int MaxRedrives { get; set; } = 3;

    /// <summary>Throttled attempts of one step before the job is failed.</summary>
    [Range(0, 1000)]
    public int MaxThrottledRetries { get; set; } = 20;

    /// <summary>How long one queue invocation goes on writing blocks before it enqueues the next step (0: one block each; at most half the lease).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan StepDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The limits the export step keeps.</summary>
    public ExportLimits Limits => new()
    {
        StepDuration = StepDuration * 2 > Lease ? Lease / 2 : StepDuration, // within half the lease, so an invocation never outlives it
        PageSize = PageSize,
        MaxBlockBytes = MaxBlockBytes,
        MaxFileBytes = MaxFileBytes,
        Retention = Retention,
        Lease = Lease,
        MaxRedrives = MaxRedrives,
        MaxThrottledRetries = MaxThrottledRetries,
    };

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxFileBytes < MaxBlockBytes)
        {
            yield return new ValidationResult("Export:MaxFileBytes must be at least Export:MaxBlockBytes.", [nameof(MaxFileBytes)]);
        }
    }
}
