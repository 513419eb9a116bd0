using Enclave.Domain.Erasure;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Erasure;

/// <summary>
/// Erasure jobs as documents <c>{id: "erasure:&lt;jobId&gt;", projectId, kind: "erasure", job, ttl}</c> in their
/// project's partition (<see cref="JobDocuments{TJob}"/>). A job is kept for <see cref="Retention"/> after it is written
/// last, so its status can be read.
/// </summary>
public sealed class CosmosErasureJobs(Container container) : IErasureJobs
{
    /// <summary>How long a job's document lives after its last write.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly JobDocuments<ErasureJob> _documents = new(container, "erasure");

    /// <inheritdoc />
    public Task CreateAsync(ErasureJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _documents.CreateAsync(job.ProjectId, job.Id, job, (int)Retention.TotalSeconds, cancellationToken);
    }

    /// <inheritdoc />
    public Task<(ErasureJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken) =>
        _documents.ReadAsync(projectId, jobId, cancellationToken);

    /// <inheritdoc />
    public Task<string?> ReplaceAsync(ErasureJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _documents.ReplaceAsync(job.ProjectId, job.Id, job, (int)Retention.TotalSeconds, version, cancellationToken);
    }
}
