using System.ComponentModel.DataAnnotations;

namespace Enclave.Functions.Audit;

/// <summary>Audit trail settings (section <c>Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Audit";

    /// <summary>The project setting (<c>valueDecimal</c>, whole days) that overrides <see cref="RetentionDays"/> for one project.</summary>
    public const string RetentionSetting = "auditRetentionDays";

    /// <summary>The fewest days a project may keep its audit records.</summary>
    public const int MinRetentionDays = 1;

    /// <summary>The most (Cosmos DB's per-document time to live is a 32-bit number of seconds: about 68 years).</summary>
    public const int MaxRetentionDays = 24_855;

    /// <summary>How many days audit records are kept unless the project says otherwise; six years by default (HIPAA's documentation retention).</summary>
    [Range(MinRetentionDays, MaxRetentionDays)]
    public int RetentionDays { get; set; } = 2192;

    /// <summary>How long after a record is appended the background sealer chains it (records wait at most this long, unsealed).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan SealDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the invocation step waits for an audit record to be stored before the answer becomes a 503.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan AppendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The retention of a project whose setting is <paramref name="projectDays"/> (null: not set).</summary>
    public TimeSpan RetentionFor(int? projectDays) => TimeSpan.FromDays(projectDays is { } days ? Math.Clamp(days, MinRetentionDays, MaxRetentionDays) : RetentionDays);
}
