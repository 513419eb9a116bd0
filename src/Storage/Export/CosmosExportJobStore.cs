using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Enclave.Domain.Export;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Export;

/// <summary>
/// Export jobs as documents <c>{id: "export:&lt;jobId&gt;", projectId, kind: "export", job, ttl}</c> in their project's
/// partition: another project's job cannot be read by construction, and Cosmos DB removes a job when it expires.
/// </summary>
public sealed class CosmosExportJobStore(Container container, TimeProvider time) : IExportJobStore
{
    private const string Kind = "export";

    private static readonly JsonSerializerOptions s_json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <inheritdoc />
    public async Task CreateAsync(ExportJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var response = await container.CreateItemStreamAsync(Serialize(job), ProjectPartition.Of(job.ProjectId).Key, cancellationToken: cancellationToken);
        CosmosFailures.EnsureSuccess(response, "create an export job");
    }

    /// <inheritdoc />
    public async Task<(ExportJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(IdOf(jobId), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, "read an export job");
        var document = await JsonSerializer.DeserializeAsync<Document>(response.Content, s_json, cancellationToken);
        return (document!.Job, response.Headers.ETag);
    }

    /// <inheritdoc />
    public async Task<string?> ReplaceAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var response = await container.ReplaceItemStreamAsync(Serialize(job), IdOf(job.Id), ProjectPartition.Of(job.ProjectId).Key,
            new ItemRequestOptions { IfMatchEtag = version }, cancellationToken);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, "update an export job");
        return response.Headers.ETag;
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        using var response = await container.DeleteItemStreamAsync(IdOf(jobId), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        CosmosFailures.EnsureSuccess(response, "delete an export job");
        return true;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ExportJob>> RunningAsync(string projectId, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        var query = partition.Query("SELECT *", "c.kind = @kind AND c.job.Status = @running")
            .WithParameter("@kind", Kind)
            .WithParameter("@running", nameof(ExportStatus.Running));
        var jobs = new List<ExportJob>();
        using var iterator = container.GetItemQueryStreamIterator(query, null, partition.Options());
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            CosmosFailures.EnsureSuccess(page, "list export jobs");
            using var body = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            jobs.AddRange(body.RootElement.GetProperty("Documents").EnumerateArray().Select(d => d.Deserialize<Document>(s_json)!.Job));
        }

        return jobs;
    }

    private static string IdOf(string jobId) => $"{Kind}:{jobId}";

    private MemoryStream Serialize(ExportJob job)
    {
        var ttl = (int)Math.Clamp((job.ExpiresAt - time.GetUtcNow()).TotalSeconds, 60, int.MaxValue);
        return new(JsonSerializer.SerializeToUtf8Bytes(new Document { Id = IdOf(job.Id), ProjectId = job.ProjectId, Job = job, TimeToLive = ttl }, s_json));
    }

    private sealed record Document
    {
        [JsonPropertyName("id")]
        public required string Id { get; init; }

        [JsonPropertyName("projectId")]
        public required string ProjectId { get; init; }

        [JsonPropertyName("kind")]
        public string Kind { get; init; } = CosmosExportJobStore.Kind;

        [JsonPropertyName("job")]
        public required ExportJob Job { get; init; }

        [JsonPropertyName("ttl")]
        public int TimeToLive { get; init; }
    }
}
