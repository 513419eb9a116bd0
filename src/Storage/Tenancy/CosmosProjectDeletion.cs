using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Fhir;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Tenancy;

/// <summary>
/// Deleting a project, in two steps and then by a job. The request and the job live in the lookup partition
/// <c>deletion/{projectId}</c>, outside the partition being emptied. A request holds the SHA-256 of a single-use
/// confirmation token for <see cref="ConfirmationLifetime"/>; confirming starts the job, whose steps
/// (<see cref="StepAsync"/>) first cut the project's identities loose — client index documents, the users' membership
/// documents, then the memberships and clients themselves, so no token of the project works once its caller cache
/// expires — and then delete every other document of the partition, <see cref="DocumentsPerStep"/> at a time.
/// </summary>
public sealed class CosmosProjectDeletion(Container container, TimeProvider time)
{
    /// <summary>How long a confirmation token works.</summary>
    public static readonly TimeSpan ConfirmationLifetime = TimeSpan.FromMinutes(15);

    /// <summary>Documents one step deletes.</summary>
    public const int DocumentsPerStep = 1000;

    private const string RequestId = "request";
    private const string JobId = "job";

    /// <summary>What a deletion job has done.</summary>
    /// <param name="Complete">Whether every document is gone.</param>
    /// <param name="Deleted">Documents deleted so far.</param>
    public sealed record Progress(bool Complete, long Deleted);

    /// <summary>Records a request to delete <paramref name="projectId"/>; the confirmation token (shown once) and when it expires.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)> RequestAsync(string projectId, string requestedBy, CancellationToken cancellationToken)
    {
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var expiresAt = time.GetUtcNow() + ConfirmationLifetime;
        var document = new JsonObject
        {
            ["id"] = RequestId,
            ["projectId"] = PartitionOf(projectId).Value,
            ["kind"] = "deletion-request",
            ["tokenHash"] = Hash(token),
            ["requestedBy"] = requestedBy,
            ["expiresAt"] = expiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["ttl"] = (int)ConfirmationLifetime.TotalSeconds,
        };
        using var response = await container.UpsertItemStreamAsync(Serialize(document), PartitionOf(projectId).Key, cancellationToken: cancellationToken);
        CosmosFailures.EnsureSuccess(response, "record a project deletion request");
        return (token, expiresAt);
    }

    /// <summary>
    /// Consumes the request's token and starts the job: false when there is no request, it expired, or the token is not
    /// its token (the request stays for a right one until it expires); true when the job runs (or already did).
    /// </summary>
    public async Task<bool> ConfirmAsync(string projectId, string token, CancellationToken cancellationToken)
    {
        var partition = PartitionOf(projectId);
        using var read = await container.ReadItemStreamAsync(RequestId, partition.Key, cancellationToken: cancellationToken);
        if (read.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        var request = (await JsonNode.ParseAsync(CosmosFailures.EnsureSuccess(read, "read a project deletion request").Content, cancellationToken: cancellationToken))!;
        var expected = Encoding.ASCII.GetBytes(request["tokenHash"]!.GetValue<string>());
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(Hash(token)))
            || DateTimeOffset.Parse(request["expiresAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) <= time.GetUtcNow())
        {
            return false;
        }

        var job = new JsonObject { ["id"] = JobId, ["projectId"] = partition.Value, ["kind"] = "deletion-job", ["complete"] = false, ["deleted"] = 0L };
        using var response = await container.CreateTransactionalBatch(partition.Key)
            .DeleteItem(RequestId, new TransactionalBatchItemRequestOptions { IfMatchEtag = read.Headers.ETag })
            .CreateItemStream(Serialize(job))
            .ExecuteAsync(cancellationToken);
        if (response.StatusCode is HttpStatusCode.Conflict)
        {
            return true; // already confirmed: the job exists
        }

        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            return false; // another confirmation consumed the request first
        }

        CosmosFailures.EnsureSuccess(response.StatusCode, "start a project deletion", response.RetryAfter);
        return true;
    }

    /// <summary>The deletion job's progress, or null when none was confirmed (or it ended more than a week ago).</summary>
    public async Task<Progress?> ProgressAsync(string projectId, CancellationToken cancellationToken)
    {
        using var read = await container.ReadItemStreamAsync(JobId, PartitionOf(projectId).Key, cancellationToken: cancellationToken);
        if (read.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var job = (await JsonNode.ParseAsync(CosmosFailures.EnsureSuccess(read, "read a project deletion").Content, cancellationToken: cancellationToken))!;
        return new Progress(job["complete"]!.GetValue<bool>(), job["deleted"]!.GetValue<long>());
    }

    /// <summary>One step of the job; true when steps remain. Idempotent: what is gone is not found again.</summary>
    public async Task<bool> StepAsync(string projectId, CancellationToken cancellationToken)
    {
        var project = ProjectPartition.Of(projectId);
        var deleted = await CutIdentitiesAsync(project, cancellationToken);
        var ids = new List<string>();
        using (var iterator = container.GetItemQueryIterator<string>(project.Query($"SELECT TOP {DocumentsPerStep} VALUE c.id", "true"), requestOptions: project.Options()))
        {
            while (iterator.HasMoreResults && ids.Count < DocumentsPerStep)
            {
                ids.AddRange(await iterator.ReadNextAsync(cancellationToken));
            }
        }

        deleted += await CosmosProjectResources.DeleteAllAsync(container, project, ids, "delete a project's documents", cancellationToken);

        // Done only when a step found nothing left: what arrived meanwhile (a late write of a cached caller) goes too.
        var more = ids.Count > 0;
        using var updated = await container.PatchItemStreamAsync(JobId, PartitionOf(projectId).Key,
            [PatchOperation.Increment("/deleted", deleted), PatchOperation.Set("/complete", !more), PatchOperation.Set("/ttl", (int)TimeSpan.FromDays(7).TotalSeconds)],
            cancellationToken: cancellationToken);
        CosmosFailures.EnsureSuccess(updated, "record a project deletion's progress");
        return more;
    }

    /// <summary>Deletes the client index documents and the users' membership documents, then the clients and memberships; how many documents went.</summary>
    private async Task<int> CutIdentitiesAsync(ProjectPartition project, CancellationToken cancellationToken)
    {
        var query = project.Query("SELECT c.id, c.resourceType, c.resource.id AS resourceId, c.user", "c.kind = 'tenancy' AND (c.resourceType = @client OR c.resourceType = @membership)")
            .WithParameter("@client", "ClientApplication").WithParameter("@membership", "ProjectMembership");
        var identities = new List<JsonElement>();
        using (var iterator = container.GetItemQueryStreamIterator(query, requestOptions: project.Options()))
        {
            while (iterator.HasMoreResults)
            {
                using var page = await iterator.ReadNextAsync(cancellationToken);
                using var body = await JsonDocument.ParseAsync(CosmosFailures.EnsureSuccess(page, "list a project's identities").Content, cancellationToken: cancellationToken);
                identities.AddRange(body.RootElement.GetProperty("Documents").EnumerateArray().Select(d => d.Clone()));
            }
        }

        foreach (var identity in identities)
        {
            var resourceId = identity.GetProperty("resourceId").GetString()!;
            var (index, partition) = identity.GetProperty("resourceType").GetString() == "ClientApplication"
                ? ("client", ProjectPartition.Of($"client/{resourceId}"))
                : identity.TryGetProperty("user", out var user) && user.GetString() is { } reference && reference.StartsWith("User/", StringComparison.Ordinal)
                    ? ($"membership:{project.Value}:{resourceId}", ProjectPartition.Of(UserMembershipDocument.PartitionOf(reference["User/".Length..])))
                    : (null, null);
            if (index is not null)
            {
                using var gone = await container.DeleteItemStreamAsync(index, partition!.Key, cancellationToken: cancellationToken);
                if (gone.StatusCode != HttpStatusCode.NotFound)
                {
                    CosmosFailures.EnsureSuccess(gone, "delete an identity index document");
                }
            }

            using var deleted = await container.DeleteItemStreamAsync(identity.GetProperty("id").GetString()!, project.Key, cancellationToken: cancellationToken);
            if (deleted.StatusCode != HttpStatusCode.NotFound)
            {
                CosmosFailures.EnsureSuccess(deleted, "delete an identity");
            }
        }

        return identities.Count;
    }

    private static ProjectPartition PartitionOf(string projectId) => ProjectPartition.Of($"deletion/{projectId}");

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static MemoryStream Serialize(JsonObject document) => new(Encoding.UTF8.GetBytes(document.ToJsonString()));
}
