using System.Text.Json.Serialization;

namespace Enclave.Domain.Tenancy;

/// <summary>A FHIR-style reference, <c>{"reference": "Type/id", "display": …}</c>.</summary>
/// <param name="Value">The <c>Type/id</c> text.</param>
/// <param name="Display">An optional human-readable name.</param>
public sealed record Reference(
    [property: JsonPropertyName("reference")] string Value,
    [property: JsonPropertyName("display"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Display = null)
{
    /// <summary>A reference to <paramref name="resourceType"/>/<paramref name="id"/>.</summary>
    public static Reference To(string resourceType, string id, string? display = null) => new($"{resourceType}/{id}", display);

    /// <summary>The resource type part, e.g. <c>ClientApplication</c>.</summary>
    [JsonIgnore]
    public string ResourceType => Value.Split('/')[0];

    /// <summary>The id part.</summary>
    [JsonIgnore]
    public string Id => Value[(Value.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
