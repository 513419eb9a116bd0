using System.Net;
using System.Text.Json;
using Enclave.Domain.Tenancy;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Tenancy;

/// <summary>Tenancy documents in Enclave's container: each in its project's partition, plus the client index.</summary>
public sealed class CosmosTenancyStore(Container container) : ITenancyStore
{
    /// <inheritdoc />
    public async Task<Project?> GetProjectAsync(string projectId, CancellationToken cancellationToken) =>
        (await ReadAsync<TenancyDocument>(TenancyDocument.IdOf(nameof(Project), projectId), projectId, cancellationToken))?.ResourceAs<Project>();

    /// <inheritdoc />
    public async Task<ProjectMembership?> GetMembershipAsync(string projectId, string membershipId, CancellationToken cancellationToken) =>
        (await ReadAsync<TenancyDocument>(TenancyDocument.IdOf(nameof(ProjectMembership), membershipId), projectId, cancellationToken))
            ?.ResourceAs<ProjectMembership>();

    /// <inheritdoc />
    public async Task<ClientCredentials?> FindClientAsync(string clientId, CancellationToken cancellationToken)
    {
        var key = IndexDocument.Client(clientId);
        var index = await ReadAsync<IndexDocument>(key.Id, key.ProjectId, cancellationToken);
        if (index is null)
        {
            return null;
        }

        var stored = await ReadAsync<TenancyDocument>(TenancyDocument.IdOf(nameof(ClientApplication), clientId), index.Target, cancellationToken);
        return stored?.Client is { } secret
            ? new ClientCredentials(index.Target, stored.ResourceAs<ClientApplication>(), secret.MembershipId,
                secret.SecretHash, secret.PreviousSecretHash, secret.PreviousSecretRetiresAt)
            : null;
    }

    /// <inheritdoc />
    public async Task CreateProjectAsync(Project project, ClientCredentials firstClient, ProjectMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(firstClient);
        await CreateIndexAsync(firstClient, cancellationToken);
        using var response = await container.CreateTransactionalBatch(ProjectPartition.Of(project.Id).Key)
            .CreateItemStream(Serialize(TenancyDocument.For(project.Id, nameof(Project), project.Id, project)))
            .CreateItemStream(Serialize(ClientDocument(firstClient)))
            .CreateItemStream(Serialize(TenancyDocument.ForMembership(membership)))
            .ExecuteAsync(cancellationToken);
        EnsureSuccess(response.StatusCode, $"create project {project.Id}");
    }

    /// <inheritdoc />
    public async Task<bool> ReplaceProjectAsync(Project project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var document = TenancyDocument.For(project.Id, nameof(Project), project.Id, project);
        using var response = await container.ReplaceItemStreamAsync(Serialize(document), document.Id, ProjectPartition.Of(project.Id).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response.StatusCode, $"update project {project.Id}");
        return true;
    }

    /// <inheritdoc />
    public async Task CreateClientAsync(ClientCredentials client, ProjectMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(membership);
        await CreateIndexAsync(client, cancellationToken);
        using var response = await container.CreateTransactionalBatch(ProjectPartition.Of(client.ProjectId).Key)
            .ReadItem(TenancyDocument.IdOf(nameof(Project), client.ProjectId))
            .CreateItemStream(Serialize(ClientDocument(client)))
            .CreateItemStream(Serialize(TenancyDocument.ForMembership(membership)))
            .ExecuteAsync(cancellationToken);
        EnsureSuccess(response.StatusCode, $"create client {client.Client.Id}");
    }

    /// <inheritdoc />
    public async Task<(IReadOnlyList<JsonElement> Resources, string? Next)> PageAsync(string projectId, int count, string? page, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(projectId);
        var query = partition.Query("SELECT VALUE c.resource", "c.kind = 'tenancy'");
        using var iterator = container.GetItemQueryStreamIterator(query, page, partition.Options(Math.Max(count, 1)));
        using var response = await iterator.ReadNextAsync(cancellationToken);
        EnsureSuccess(response.StatusCode, "read tenancy resources");
        using var body = await JsonDocument.ParseAsync(response.Content, cancellationToken: cancellationToken);
        return ([.. body.RootElement.GetProperty("Documents").EnumerateArray().Select(d => d.Clone())], response.ContinuationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ProjectMembership>> SearchMembershipsAsync(string projectId, string? user, string? profile, CancellationToken cancellationToken)
    {
        // Parameterised, single-partition, and on top-level fields the indexing policy covers.
        var partition = ProjectPartition.Of(projectId);
        var condition = "c.kind = 'tenancy' AND c.resourceType = 'ProjectMembership'"
            + (user is null ? string.Empty : " AND c.user = @user")
            + (profile is null ? string.Empty : " AND c.profile = @profile");
        var query = partition.Query("SELECT *", condition).WithParameter("@user", user).WithParameter("@profile", profile);
        var found = new List<ProjectMembership>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: partition.Options());
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            EnsureSuccess(page.StatusCode, "search memberships");
            using var body = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            found.AddRange(body.RootElement.GetProperty("Documents").EnumerateArray().Select(d => d.Deserialize<TenancyDocument>()!.ResourceAs<ProjectMembership>()));
        }

        return found;
    }

    /// <inheritdoc />
    public async Task<bool> ReplaceMembershipAsync(ProjectMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(membership);
        var document = TenancyDocument.ForMembership(membership);
        using var response = await container.ReplaceItemStreamAsync(Serialize(document), document.Id, ProjectPartition.Of(document.ProjectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response.StatusCode, $"update membership {membership.Id}");
        return true;
    }

    /// <inheritdoc />
    public async Task<JsonElement?> GetAccessPolicyAsync(string projectId, string policyId, CancellationToken cancellationToken) =>
        (await ReadAsync<TenancyDocument>(TenancyDocument.IdOf("AccessPolicy", policyId), projectId, cancellationToken))?.Resource;

    /// <inheritdoc />
    public async Task<bool> PutAccessPolicyAsync(string projectId, string policyId, JsonElement policy, CancellationToken cancellationToken)
    {
        var document = TenancyDocument.For(projectId, "AccessPolicy", policyId, policy);
        using var response = await container.UpsertItemStreamAsync(Serialize(document), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        EnsureSuccess(response.StatusCode, $"store access policy {policyId}");
        return response.StatusCode == HttpStatusCode.Created;
    }

    /// <inheritdoc />
    public async Task CreateMembershipAsync(ProjectMembership membership, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(membership);
        var projectId = membership.Project.Id;
        using var response = await container.CreateTransactionalBatch(ProjectPartition.Of(projectId).Key)
            .ReadItem(TenancyDocument.IdOf(nameof(Project), projectId))
            .CreateItemStream(Serialize(TenancyDocument.ForMembership(membership)))
            .ExecuteAsync(cancellationToken);
        EnsureSuccess(response.StatusCode, $"create membership {membership.Id}");
    }

    /// <inheritdoc />
    public async Task<bool> DeleteMembershipAsync(string projectId, string membershipId, CancellationToken cancellationToken)
    {
        using var response = await container.DeleteItemStreamAsync(
            TenancyDocument.IdOf(nameof(ProjectMembership), membershipId), ProjectPartition.Of(projectId).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        EnsureSuccess(response.StatusCode, $"delete membership {membershipId}");
        return true;
    }

    /// <inheritdoc />
    public async Task UpdateClientSecretAsync(ClientCredentials client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var response = await container.ReplaceItemStreamAsync(Serialize(ClientDocument(client)),
            TenancyDocument.IdOf(nameof(ClientApplication), client.Client.Id), ProjectPartition.Of(client.ProjectId).Key, cancellationToken: cancellationToken);
        EnsureSuccess(response.StatusCode, $"update client {client.Client.Id}");
    }

    private static TenancyDocument ClientDocument(ClientCredentials client) =>
        TenancyDocument.For(client.ProjectId, nameof(ClientApplication), client.Client.Id, client.Client, StoredClientSecret.From(client));

    private async Task CreateIndexAsync(ClientCredentials client, CancellationToken cancellationToken)
    {
        var index = IndexDocument.Client(client.Client.Id, client.ProjectId);
        using var response = await container.CreateItemStreamAsync(Serialize(index), ProjectPartition.Of(index.ProjectId).Key, cancellationToken: cancellationToken);
        EnsureSuccess(response.StatusCode, $"reserve client id {client.Client.Id}");
    }

    private async Task<T?> ReadAsync<T>(string id, string partition, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await container.ReadItemStreamAsync(id, ProjectPartition.Of(partition).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        EnsureSuccess(response.StatusCode, $"read {id}");
        return await JsonSerializer.DeserializeAsync<T>(response.Content, cancellationToken: cancellationToken);
    }

    private static MemoryStream Serialize<T>(T document) => new(JsonSerializer.SerializeToUtf8Bytes(document));

    private static void EnsureSuccess(HttpStatusCode status, string what)
    {
        if (status == HttpStatusCode.Conflict)
        {
            throw new TenancyConflictException($"Could not {what}: it already exists.");
        }

        CosmosFailures.EnsureSuccess(status, what);
    }
}
