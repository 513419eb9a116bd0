using System.Text.Json;
using System.Text.Json.Serialization;
using Enclave.Domain.Tenancy;

namespace Enclave.Storage.Tenancy;

/// <summary>
/// A tenancy resource as stored in its project's partition: <c>{id, projectId, kind: "tenancy",
/// resourceType, resource, client?}</c> with id <c>Type:id</c>. Client secret hashes sit beside the resource, never inside it, so no
/// code path that returns <c>resource</c> can leak them.
/// </summary>
internal sealed record TenancyDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("projectId")]
    public required string ProjectId { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "tenancy";

    [JsonPropertyName("resourceType")]
    public required string ResourceType { get; init; }

    [JsonPropertyName("resource")]
    public required JsonElement Resource { get; init; }

    [JsonPropertyName("client"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public StoredClientSecret? Client { get; init; }

    [JsonPropertyName("passwordHash"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PasswordHash { get; init; }

    // Searchable references of a membership, outside /resource/* (which the indexing policy excludes).
    [JsonPropertyName("user"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? User { get; init; }

    [JsonPropertyName("profile"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Profile { get; init; }

    public static TenancyDocument ForMembership(ProjectMembership membership) =>
        For(membership.Project.Id, nameof(ProjectMembership), membership.Id, membership) with
        {
            User = membership.User.Value,
            Profile = membership.Profile?.Value,
        };

    // Cosmos ids may not contain "/", so the type and id are joined with ":".
    public static string IdOf(string resourceType, string id) => $"{resourceType}:{id}";

    public static TenancyDocument For<T>(string projectId, string resourceType, string id, T resource, StoredClientSecret? client = null) => new()
    {
        Id = IdOf(resourceType, id),
        ProjectId = projectId,
        ResourceType = resourceType,
        Resource = JsonSerializer.SerializeToElement(resource),
        Client = client,
    };

    public T ResourceAs<T>() => Resource.Deserialize<T>() ?? throw new JsonException($"Stored {Id} is empty.");
}

/// <summary>The secret side of a stored client application.</summary>
internal sealed record StoredClientSecret(
    [property: JsonPropertyName("membershipId")] string MembershipId,
    [property: JsonPropertyName("secretHash")] string SecretHash,
    [property: JsonPropertyName("previousSecretHash")] string? PreviousSecretHash,
    [property: JsonPropertyName("previousSecretRetiresAt")] DateTimeOffset? PreviousSecretRetiresAt)
{
    public static StoredClientSecret From(ClientCredentials c) =>
        new(c.MembershipId, c.SecretHash, c.PreviousSecretHash, c.PreviousSecretRetiresAt);
}

/// <summary>
/// Reserves a unique key and points at what owns it, in a partition of its own, so a lookup is one point read and
/// never a cross-partition query: a client id points at its project (<c>client/{id}</c>), an email at its user
/// (<c>email/{address}</c>). Creating one fails with 409 when the key is taken.
/// </summary>
internal sealed record IndexDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("projectId")]
    public required string ProjectId { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "index";

    [JsonPropertyName("target")]
    public required string Target { get; init; }

    public static IndexDocument Client(string clientId, string projectId = "") => new() { Id = "client", ProjectId = $"client/{clientId}", Target = projectId };

    public static IndexDocument Email(string email, string userId = "") => new() { Id = "email", ProjectId = $"email/{Domain.Tenancy.User.NormalizeEmail(email)}", Target = userId };
}
