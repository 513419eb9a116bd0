using System.Text.Json.Serialization;

namespace Enclave.Domain.Tenancy;

/// <summary>
/// A person's global account (Medplum's <c>User</c>): one email, one password, memberships in any number of
/// projects. It holds nothing a project entered: names and other profile data live on each project's
/// <see cref="ProjectMembership"/> (ADR 0003), and a project sees the user only as a <see cref="ProjectUser"/>.
/// The password hash is stored beside the user, never in this type.
/// </summary>
public sealed record User
{
    /// <summary>The longest email Enclave accepts (RFC 5321's path limit); longer ones are refused before any lookup.</summary>
    public const int MaxEmailLength = 254;

    /// <summary>The resource type in JSON.</summary>
    [JsonPropertyName("resourceType")]
    public string ResourceType { get; init; } = nameof(User);

    /// <summary>The user id.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The sign-in email, unique across Enclave (compared lower-cased).</summary>
    [JsonPropertyName("email")]
    public required string Email { get; init; }

    /// <summary>The normal form of an email for uniqueness and lookup.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Whether <paramref name="email"/> looks like an address Enclave can store and look up (has an <c>@</c>, fits the limit).</summary>
    public static bool IsPlausibleEmail([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? email) =>
        !string.IsNullOrWhiteSpace(email) && email.Trim().Length <= MaxEmailLength && email.Contains('@', StringComparison.Ordinal);
}
