namespace Enclave.Domain.Backup;

/// <summary>Where a restore is.</summary>
public enum RestoreStatus
{
    /// <summary>Steps remain (or the backup it restores is still being written).</summary>
    Running,

    /// <summary>Every line of the backup is restored.</summary>
    Completed,

    /// <summary>Stopped; <see cref="RestoreJob.Failure"/> says why.</summary>
    Failed,
}

/// <summary>
/// Restoring a backup (a completed export job at <see cref="Export.ExportLevel.Backup"/>) into a project that held no
/// resource, as a job in that project's partition. The job reads the backup's files in order, a bounded run of lines
/// per step, and records how far it got (file and byte offset) under the version it read: a step repeated after a
/// crash writes the same documents again (upserts of the same ids), so nothing is lost or doubled.
/// </summary>
public sealed record RestoreJob
{
    /// <summary>The message kind of a restore step on the work queue.</summary>
    public const string MessageKind = "restore";

    /// <summary>The job's id (unguessable): also the seed of the remapped ids.</summary>
    public required string Id { get; init; }

    /// <summary>The project restored into.</summary>
    public required string ProjectId { get; init; }

    /// <summary>The project the backup was taken of.</summary>
    public required string SourceProjectId { get; init; }

    /// <summary>The backup's export job, in the source project.</summary>
    public required string BackupJobId { get; init; }

    /// <summary>Whether every resource gets a new id (references rewritten to match), or keeps its own.</summary>
    public required bool RemapIds { get; init; }

    /// <summary>When the restore was asked for.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Where the job is.</summary>
    public RestoreStatus Status { get; init; } = RestoreStatus.Running;

    /// <summary>The backup's files, in the order they are restored; null until the backup is complete.</summary>
    public IReadOnlyList<string>? Files { get; init; }

    /// <summary>The file being restored (an index into <see cref="Files"/>).</summary>
    public int File { get; init; }

    /// <summary>The byte offset in that file of the first line not yet restored.</summary>
    public long Offset { get; init; }

    /// <summary>Resource versions restored so far.</summary>
    public long Restored { get; init; }

    /// <summary>Tenancy resources restored so far (access policies and the project's settings).</summary>
    public long TenancyRestored { get; init; }

    /// <summary>Tenancy resources of the backup that a restore does not recreate (memberships, client applications, users).</summary>
    public long TenancySkipped { get; init; }

    /// <summary>Why the job failed.</summary>
    public string? Failure { get; init; }
}
