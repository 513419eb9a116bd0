using System.ComponentModel.DataAnnotations;

namespace Enclave.Functions.Export;

/// <summary>Bulk Data export settings (section <c>Export</c>).</summary>
public sealed class ExportOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Export";

    /// <summary>Jobs one project may have running at once; one more kick-off answers 429.</summary>
    [Range(1, 100)]
    public int MaxConcurrentJobsPerProject { get; set; } = 2;

    /// <summary>How long a job's manifest and files stay downloadable.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Resources per step (one block of a file).</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 500;

    /// <summary>Member patients per search of a Group export (or a Patient export with <c>patient</c>): how many compartments one query names.</summary>
    [Range(1, 1000)]
    public int MemberChunkSize { get; set; } = 100;
}
