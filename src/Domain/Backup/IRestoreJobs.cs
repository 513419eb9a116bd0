namespace Enclave.Domain.Backup;

/// <summary>Restore jobs, each in its target project's partition; a replace is guarded by the version it read.</summary>
public interface IRestoreJobs
{
    /// <summary>Stores a new job: false when a restore into its project was started before (a project is restored into once).</summary>
    Task<bool> CreateAsync(RestoreJob job, CancellationToken cancellationToken);

    /// <summary>The job and its version, or null.</summary>
    Task<(RestoreJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken);

    /// <summary>Replaces the job if it is still at <paramref name="version"/>: its new version, or null.</summary>
    Task<string?> ReplaceAsync(RestoreJob job, string version, CancellationToken cancellationToken);
}
