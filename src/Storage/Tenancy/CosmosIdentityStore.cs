using System.Net;
using System.Text.Json;
using Enclave.Domain.Tenancy;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;
using User = Enclave.Domain.Tenancy.User;

namespace Enclave.Storage.Tenancy;

/// <summary>Users, their membership lists and logins in Enclave's container, each in a partition of its own.</summary>
public sealed class CosmosIdentityStore(Container container, TimeProvider time) : IIdentityStore
{
    /// <inheritdoc />
    public async Task<(User User, string? PasswordHash)?> FindUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        var key = IndexDocument.Email(email);
        var index = await ReadAsync<IndexDocument>(key.Id, key.ProjectId, cancellationToken);
        var stored = index is null ? null
            : await ReadAsync<TenancyDocument>(TenancyDocument.IdOf(nameof(User), index.Target), UserMembershipDocument.PartitionOf(index.Target), cancellationToken);
        return stored is null ? null : (stored.ResourceAs<User>(), stored.PasswordHash);
    }

    /// <inheritdoc />
    public async Task<User?> GetUserAsync(string userId, CancellationToken cancellationToken) =>
        (await ReadAsync<TenancyDocument>(TenancyDocument.IdOf(nameof(User), userId), UserMembershipDocument.PartitionOf(userId), cancellationToken))?.ResourceAs<User>();

    /// <inheritdoc />
    /// <remarks>
    /// The user is written before the email is reserved, so an email index never points at a user that is not there
    /// yet: a concurrent creator that loses the reservation finds the winner's user at once. The loser's orphan is
    /// removed; one left behind by a crash is unreachable and harmless.
    /// </remarks>
    public async Task<bool> CreateUserAsync(User user, string? passwordHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var document = TenancyDocument.For(UserMembershipDocument.PartitionOf(user.Id), nameof(User), user.Id, user) with { PasswordHash = passwordHash };
        using (var created = await container.CreateItemStreamAsync(Serialize(document), ProjectPartition.Of(document.ProjectId).Key, cancellationToken: cancellationToken))
        {
            Ensure(created.StatusCode, "create the user");
        }

        var index = IndexDocument.Email(user.Email, user.Id);
        using var reserved = await container.CreateItemStreamAsync(Serialize(index), ProjectPartition.Of(index.ProjectId).Key, cancellationToken: cancellationToken);
        if (reserved.StatusCode == HttpStatusCode.Conflict)
        {
            using (await container.DeleteItemStreamAsync(document.Id, ProjectPartition.Of(document.ProjectId).Key, cancellationToken: cancellationToken))
            {
            }

            return false;
        }

        Ensure(reserved.StatusCode, "reserve the email");
        return true;
    }

    /// <inheritdoc />
    public async Task AddMembershipAsync(string userId, string projectId, string membershipId, CancellationToken cancellationToken)
    {
        var document = new UserMembershipDocument
        {
            Id = $"membership:{projectId}:{membershipId}",
            ProjectId = UserMembershipDocument.PartitionOf(userId),
            MemberOf = projectId,
            MembershipId = membershipId,
        };
        using var response = await container.UpsertItemStreamAsync(Serialize(document), ProjectPartition.Of(document.ProjectId).Key, cancellationToken: cancellationToken);
        Ensure(response.StatusCode, "record the membership");
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(string ProjectId, string MembershipId)>> ListMembershipsAsync(string userId, CancellationToken cancellationToken)
    {
        var partition = ProjectPartition.Of(UserMembershipDocument.PartitionOf(userId));
        var query = partition.Query("SELECT *", "c.kind = @kind").WithParameter("@kind", UserMembershipDocument.KindName);
        var memberships = new List<(string, string)>();
        using var iterator = container.GetItemQueryStreamIterator(query, requestOptions: partition.Options());
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync(cancellationToken);
            Ensure(page.StatusCode, "list the memberships");
            using var body = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken);
            foreach (var item in body.RootElement.GetProperty("Documents").EnumerateArray())
            {
                var document = item.Deserialize<UserMembershipDocument>()!;
                memberships.Add((document.MemberOf, document.MembershipId));
            }
        }

        return memberships;
    }

    /// <inheritdoc />
    public async Task<(Login Login, string Version)?> GetLoginAsync(string loginId, CancellationToken cancellationToken)
    {
        using var response = await container.ReadItemStreamAsync(LoginDocument.DocumentId, ProjectPartition.Of(LoginDocument.PartitionOf(loginId)).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Ensure(response.StatusCode, "read the login");
        var document = await JsonSerializer.DeserializeAsync<LoginDocument>(response.Content, cancellationToken: cancellationToken);
        return (document!.Login, response.Headers.ETag);
    }

    /// <inheritdoc />
    public async Task CreateLoginAsync(Login login, CancellationToken cancellationToken)
    {
        var document = ToDocument(login);
        using var response = await container.CreateItemStreamAsync(Serialize(document), ProjectPartition.Of(document.ProjectId).Key, cancellationToken: cancellationToken);
        Ensure(response.StatusCode, "create the login");
    }

    /// <inheritdoc />
    public async Task<bool> ReplaceLoginAsync(Login login, string version, CancellationToken cancellationToken)
    {
        var document = ToDocument(login);
        using var response = await container.ReplaceItemStreamAsync(Serialize(document), document.Id, ProjectPartition.Of(document.ProjectId).Key,
            new ItemRequestOptions { IfMatchEtag = version }, cancellationToken);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            return false;
        }

        Ensure(response.StatusCode, "update the login");
        return true;
    }

    // Cosmos removes a login once it has expired (TTL), so logins do not accumulate.
    private LoginDocument ToDocument(Login login) => new()
    {
        ProjectId = LoginDocument.PartitionOf(login.Id),
        Login = login,
        Ttl = Math.Max(60, (int)(login.ExpiresAt - time.GetUtcNow()).TotalSeconds + 60),
    };

    private async Task<T?> ReadAsync<T>(string id, string partition, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await container.ReadItemStreamAsync(id, ProjectPartition.Of(partition).Key, cancellationToken: cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Ensure(response.StatusCode, $"read {id}");
        return await JsonSerializer.DeserializeAsync<T>(response.Content, cancellationToken: cancellationToken);
    }

    private static MemoryStream Serialize<T>(T document) => new(JsonSerializer.SerializeToUtf8Bytes(document));

    private static void Ensure(HttpStatusCode status, string what) => CosmosFailures.EnsureSuccess(status, what);
}
