namespace Enclave.Domain.Erasure;

/// <summary>Erasure jobs, each in its project's partition; replaced only with the version read (optimistic concurrency).</summary>
public interface IErasureJobs
{
    /// <summary>Stores a new job.</summary>
    Task CreateAsync(ErasureJob job, CancellationToken cancellationToken);

    /// <summary>The job and its version, or null.</summary>
    Task<(ErasureJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken);

    /// <summary>Replaces the job if it is still at <paramref name="version"/>; the new version, or null when another write came first.</summary>
    Task<string?> ReplaceAsync(ErasureJob job, string version, CancellationToken cancellationToken);
}
