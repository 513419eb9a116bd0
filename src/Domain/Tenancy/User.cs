using System.Text.Json.Serialization;

namespace Enclave.Domain.Tenancy;

/// <summary>
/// A person's global account (Medplum's <c>User</c>): one email, one password, memberships in any number of
/// projects. The password hash is stored beside the user, never in this type.
/// </summary>
public sealed record User
{
    /// <summary>The resource type in JSON.</summary>
    [JsonPropertyName("resourceType")]
    public string ResourceType { get; init; } = nameof(User);

    /// <summary>The user id.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The sign-in email, unique across Enclave (compared lower-cased).</summary>
    [JsonPropertyName("email")]
    public required string Email { get; init; }

    /// <summary>Given name.</summary>
    [JsonPropertyName("firstName"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FirstName { get; init; }

    /// <summary>Family name.</summary>
    [JsonPropertyName("lastName"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LastName { get; init; }

    /// <summary>The normal form of an email for uniqueness and lookup.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();
}
