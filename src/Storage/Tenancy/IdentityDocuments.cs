using System.Text.Json.Serialization;
using Enclave.Domain.Tenancy;

namespace Enclave.Storage.Tenancy;

/// <summary>One membership a user holds, in the user's partition <c>user/{id}</c>.</summary>
internal sealed record UserMembershipDocument
{
    public const string KindName = "userMembership";

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("projectId")]
    public required string ProjectId { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = KindName;

    [JsonPropertyName("memberOf")]
    public required string MemberOf { get; init; }

    [JsonPropertyName("membershipId")]
    public required string MembershipId { get; init; }

    public static string PartitionOf(string userId) => $"user/{userId}";
}

/// <summary>A login, in partition <c>login/{id}</c>.</summary>
internal sealed record LoginDocument
{
    public const string DocumentId = "login";

    [JsonPropertyName("id")]
    public string Id { get; init; } = DocumentId;

    [JsonPropertyName("projectId")]
    public required string ProjectId { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "login";

    [JsonPropertyName("login")]
    public required Login Login { get; init; }

    [JsonPropertyName("ttl")]
    public required int Ttl { get; init; }

    public static string PartitionOf(string loginId) => $"login/{loginId}";
}
