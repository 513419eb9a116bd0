using Enclave.Domain.Export;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Export;

/// <summary>
/// Export jobs as documents <c>{id: "export:&lt;jobId&gt;", projectId, kind: "export", job, ttl}</c> in their project's
/// partition (<see cref="JobDocuments{TJob}"/>): another project's job cannot be read by construction, and Cosmos DB
/// removes a job when it expires.
/// </summary>
public sealed class CosmosExportJobStore(Container container, TimeProvider time) : IExportJobStore
{
    private readonly JobDocuments<ExportJob> _documents = new(container, "export");

    /// <inheritdoc />
    public Task CreateAsync(ExportJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _documents.CreateAsync(job.ProjectId, job.Id, job, TimeToLive(job), cancellationToken);
    }

    /// <inheritdoc />
    public Task<(ExportJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken) =>
        _documents.ReadAsync(projectId, jobId, cancellationToken);

    /// <inheritdoc />
    public Task<string?> ReplaceAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _documents.ReplaceAsync(job.ProjectId, job.Id, job, TimeToLive(job), version, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken) => _documents.DeleteAsync(projectId, jobId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ExportJob>> RunningAsync(string projectId, CancellationToken cancellationToken) =>
        _documents.WithStatusAsync(projectId, nameof(ExportStatus.Running), cancellationToken);

    /// <summary>The job lives until it expires (at least a minute).</summary>
    private int TimeToLive(ExportJob job) => (int)Math.Clamp((job.ExpiresAt - time.GetUtcNow()).TotalSeconds, 60, int.MaxValue);
}
