using System.Text.Json.Serialization;

namespace Enclave.Domain.Tenancy;

/// <summary>
/// A user as one project sees them (ADR 0003): the global id and email, and the names that project entered on its
/// own membership. Nothing another project entered can appear here, because it is built from one membership only.
/// </summary>
public sealed record ProjectUser
{
    /// <summary>The resource type in JSON.</summary>
    [JsonPropertyName("resourceType")]
    public string ResourceType { get; init; } = nameof(User);

    /// <summary>The user id.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The sign-in email (normalised).</summary>
    [JsonPropertyName("email")]
    public required string Email { get; init; }

    /// <summary>Given name, as this project entered it.</summary>
    [JsonPropertyName("firstName"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FirstName { get; init; }

    /// <summary>Family name, as this project entered it.</summary>
    [JsonPropertyName("lastName"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LastName { get; init; }

    /// <summary>The user as the project of <paramref name="membership"/> sees them.</summary>
    public static ProjectUser Of(User user, ProjectMembership membership)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(membership);
        return new() { Id = user.Id, Email = user.Email, FirstName = membership.FirstName, LastName = membership.LastName };
    }
}
