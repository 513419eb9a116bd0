using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Enclave.Domain.Erasure;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Erasure;

/// <summary>
/// Erasure jobs as documents <c>{id: "erasure:&lt;jobId&gt;", projectId, kind: "erasure", job, ttl}</c> in their
/// project's partition. A job is kept for <see cref="Retention"/> after it is written last, so its status can be read.
/// </summary>
public sealed class CosmosErasureJobs(Container container) : IErasureJobs
{
    /// <summary>How long a job's document lives after its last write.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private const string Kind = "erasure";

    private static readonly JsonSerializerOptions s_json = new() { Converters = { new JsonStringEnumConverter() } };

    /// <inheritdoc />
    public async Task CreateAsync(ErasureJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var response = await container.CreateItemStreamAsync(Serialize(job), ProjectPartition.Of(job.ProjectId).Key, cancellationToken: cancellationToken);
        CosmosFailures.EnsureSuccess(response, "create an erasure job");
    }

    /// <inheritdoc />
    public async Task<(ErasureJob Job, string Version)?> ReadAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(IdOf(jobId), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, "read an erasure job");
        var document = await JsonSerializer.DeserializeAsync<Document>(response.Content, s_json, cancellationToken);
        return (document!.Job, response.Headers.ETag);
    }

    /// <inheritdoc />
    public async Task<string?> ReplaceAsync(ErasureJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var response = await container.ReplaceItemStreamAsync(Serialize(job), IdOf(job.Id), ProjectPartition.Of(job.ProjectId).Key,
            new ItemRequestOptions { IfMatchEtag = version }, cancellationToken);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            return null;
        }

        CosmosFailures.EnsureSuccess(response, "update an erasure job");
        return response.Headers.ETag;
    }

    private static string IdOf(string jobId) => $"{Kind}:{jobId}";

    private static MemoryStream Serialize(ErasureJob job) =>
        new(JsonSerializer.SerializeToUtf8Bytes(new Document { Id = IdOf(job.Id), ProjectId = job.ProjectId, Job = job, TimeToLive = (int)Retention.TotalSeconds }, s_json));

    private sealed record Document
    {
        [JsonPropertyName("id")]
        public required string Id { get; init; }

        [JsonPropertyName("projectId")]
        public required string ProjectId { get; init; }

        [JsonPropertyName("kind")]
        public string Kind { get; init; } = CosmosErasureJobs.Kind;

        [JsonPropertyName("job")]
        public required ErasureJob Job { get; init; }

        [JsonPropertyName("ttl")]
        public int TimeToLive { get; init; }
    }
}
