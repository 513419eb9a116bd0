namespace Enclave.Domain.Erasure;

/// <summary>
/// An erasure of a patient's whole compartment (<c>Patient/{id}/$expunge?everything=true</c>), run step by step on the
/// work queue (<see cref="ErasureStep"/>): every resource in the compartment, every version of it, then the patient,
/// and their references in the audit trail.
/// </summary>
public sealed record ErasureJob
{
    /// <summary>The message kind on the work queue.</summary>
    public const string MessageKind = "erasure";

    /// <summary>The job id.</summary>
    public required string Id { get; init; }

    /// <summary>The project the job erases in.</summary>
    public required string ProjectId { get; init; }

    /// <summary>The patient whose compartment is erased (<c>Patient/id</c>; once complete, only its hash).</summary>
    public required string Patient { get; init; }

    /// <summary>The membership that asked (an admin of the project; checked again at every step).</summary>
    public required string MembershipId { get; init; }

    /// <summary>Where the job is.</summary>
    public ErasureStatus Status { get; init; } = ErasureStatus.Running;

    /// <summary>Resources erased so far (each with all its versions).</summary>
    public int Resources { get; init; }

    /// <summary>Documents removed so far (current and version documents).</summary>
    public int Documents { get; init; }

    /// <summary>Audit records redacted so far.</summary>
    public int Redacted { get; init; }

    /// <summary>When it was asked for.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    /// <summary>Why it failed.</summary>
    public string? Failure { get; init; }
}

/// <summary>An erasure job's state.</summary>
public enum ErasureStatus
{
    /// <summary>Steps remain.</summary>
    Running,

    /// <summary>Everything is erased.</summary>
    Complete,

    /// <summary>It stopped; <see cref="ErasureJob.Failure"/> says why.</summary>
    Failed,
}
