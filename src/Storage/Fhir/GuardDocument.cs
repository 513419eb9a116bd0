using System.Text.Json.Serialization;

namespace Enclave.Storage.Fhir;

/// <summary>A short-lived document that two racing commits both write, so only one of them can succeed.</summary>
internal sealed record GuardDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("projectId")]
    public required string ProjectId { get; init; }

    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "guard";

    [JsonPropertyName("ttl")]
    public int TimeToLive { get; init; }
}
