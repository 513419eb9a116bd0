using Enclave.Domain.Backup;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Backup;

/// <summary>
/// Restore jobs as documents <c>restore:{id}</c> in the target project's partition, kept a week, each created with the
/// marker <c>restore:target</c>, so that two restores racing into one empty project cannot both start.
/// </summary>
/// <param name="container">The container.</param>
public sealed class CosmosRestoreJobs(Container container) : IRestoreJobs
{
    /// <summary>How long a job is kept after its last step.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly JobDocuments<RestoreJob> _documents = new(container, "restore");

    /// <inheritdoc />
    public Task<bool> CreateAsync(RestoreJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        // The marker has no ttl: a project is restored into once (after that it holds what the restore wrote).
        return _documents.CreateOnceAsync(job.ProjectId, job.Id, job, (int)Retention.TotalSeconds, "restore:target", cancellationToken);
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
