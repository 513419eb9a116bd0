using Enclave.Domain.Backup;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Backup;

/// <summary>Restore jobs as documents <c>restore:{id}</c> in the target project's partition, kept a week.</summary>
/// <param name="container">The container.</param>
public sealed class CosmosRestoreJobs(Container container) : IRestoreJobs
{
    /// <summary>How long a job is kept after its last step.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly JobDocuments<RestoreJob> _documents = new(container, "restore");

    /// <inheritdoc />
    public Task CreateAsync(RestoreJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _documents.CreateAsync(job.ProjectId, job.Id, job, (int)Retention.TotalSeconds, cancellationToken);
    }

    /// <inheritdoc />
    public Task<(RestoreJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken) =>
        _documents.ReadAsync(projectId, jobId, cancellationToken);

    /// <inheritdoc />
    public Task<string?> ReplaceAsync(RestoreJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _documents.ReplaceAsync(job.ProjectId, job.Id, job, (int)Retention.TotalSeconds, version, cancellationToken);
    }
}
