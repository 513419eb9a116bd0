namespace Enclave.Domain.Export;

/// <summary>Where export jobs live: in their project's partition, beside its resources.</summary>
public interface IExportJobStore
{
    /// <summary>Stores a new job.</summary>
    Task CreateAsync(ExportJob job, CancellationToken cancellationToken);

    /// <summary>The job and its version (for <see cref="ReplaceAsync"/>), or null when the project has no such job.</summary>
    Task<(ExportJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the job if it is still at <paramref name="version"/>: its new version, or null when another step or a
    /// cancel got there first.
    /// </summary>
    Task<string?> ReplaceAsync(ExportJob job, string version, CancellationToken cancellationToken);

    /// <summary>Removes the job; false when it was not there.</summary>
    Task<bool> DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken);

    /// <summary>The project's jobs still running.</summary>
    Task<IReadOnlyList<ExportJob>> RunningAsync(string projectId, CancellationToken cancellationToken);
}
