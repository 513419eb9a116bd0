using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>
/// Jobs of one <paramref name="kind"/> as documents <c>{id: "&lt;kind&gt;:&lt;jobId&gt;", projectId, kind, job, ttl}</c> in
/// their project's partition (another project's job cannot be read by construction; Cosmos DB removes a job when its
/// ttl runs out), replaced only at the version read. The one document shape of the export and erasure job stores.
/// </summary>
internal sealed class JobDocuments<TJob>(Container container, string kind) where TJob : class
{
    private static readonly JsonSerializerOptions s_json = new() { Converters = { new JsonStringEnumConverter() } };

    public async Task CreateAsync(string projectId, string jobId, TJob job, int timeToLive, CancellationToken cancellationToken)
    {
        using var response = await container.CreateItemStreamAsync(Serialize(projectId, jobId, job, timeToLive), ProjectPartition.Of(projectId).Key,
            cancellationToken: cancellationToken);
        CosmosFailures.EnsureSuccess(response, $"create an {kind} job");
    }

    /// <summary>
    /// Creates the job together with the marker <paramref name="onceId"/> in one atomic batch: false (and nothing
    /// written) when the partition already holds the marker, i.e. such a job was created there before.
    /// </summary>
    public async Task<bool> CreateOnceAsync(string projectId, string jobId, TJob job, int timeToLive, string onceId, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        var marker = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["id"] = onceId, ["projectId"] = projectId, ["kind"] = kind, ["jobId"] = jobId }));
        using var response = await container.CreateTransactionalBatch(partition.Key)
            .CreateItemStream(marker)
            .CreateItemStream(Serialize(projectId, jobId, job, timeToLive))
            .ExecuteAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }

        CosmosFailures.EnsureSuccess(response.StatusCode, $"create an {kind} job", response.RetryAfter);
        return true;
    }

    public async Task<(TJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(IdOf(jobId), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, $"read an {kind} job");
        var document = await JsonSerializer.DeserializeAsync<Document>(response.Content, s_json, cancellationToken);
        return (document!.Job, response.Headers.ETag);
    }

    /// <summary>The new version, or null when another write came first (or the job is gone).</summary>
    public async Task<string?> ReplaceAsync(string projectId, string jobId, TJob job, int timeToLive, string version, CancellationToken cancellationToken)
    {
        using var response = await container.ReplaceItemStreamAsync(Serialize(projectId, jobId, job, timeToLive), IdOf(jobId), ProjectPartition.Of(projectId).Key,
            new ItemRequestOptions { IfMatchEtag = version }, cancellationToken);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, $"update an {kind} job");
        return response.Headers.ETag;
    }

    public async Task<bool> DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        using var response = await container.DeleteItemStreamAsync(IdOf(jobId), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        CosmosFailures.EnsureSuccess(response, $"delete an {kind} job");
        return true;
    }

    /// <summary>The jobs of <paramref name="projectId"/> whose <c>job.Status</c> is <paramref name="status"/>.</summary>
    public async Task<IReadOnlyList<TJob>> WithStatusAsync(string projectId, string status, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        var query = partition.Query("SELECT *", "c.kind = @kind AND c.job.Status = @status").WithParameter("@kind", kind).WithParameter("@status", status);
        var jobs = new List<TJob>();
        using var iterator = container.GetItemQueryStreamIterator(query, null, partition.Options());
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            CosmosFailures.EnsureSuccess(page, $"list {kind} jobs");
            using var body = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            jobs.AddRange(body.RootElement.GetProperty("Documents").EnumerateArray().Select(d => d.Deserialize<Document>(s_json)!.Job));
        }

        return jobs;
    }

    private string IdOf(string jobId) => $"{kind}:{jobId}";

    private MemoryStream Serialize(string projectId, string jobId, TJob job, int timeToLive) =>
        new(JsonSerializer.SerializeToUtf8Bytes(new Document { Id = IdOf(jobId), ProjectId = projectId, Kind = kind, Job = job, TimeToLive = timeToLive }, s_json));

    private sealed record Document
    {
        [JsonPropertyName("id")]
        public required string Id { get; init; }

        [JsonPropertyName("projectId")]
        public required string ProjectId { get; init; }

        [JsonPropertyName("kind")]
        public required string Kind { get; init; }

        [JsonPropertyName("job")]
        public required TJob Job { get; init; }

        [JsonPropertyName("ttl")]
        public int TimeToLive { get; init; }
    }
}
