using System.Text.Json.Serialization;

namespace Enclave.Domain.Tenancy;

/// <summary>
/// A project: the hard wall around one customer's data, members, client applications and policies
/// (Medplum's <c>Project</c>). Stored in its own Cosmos logical partition.
/// </summary>
public sealed record Project
{
    /// <summary>The resource type in JSON.</summary>
    [JsonPropertyName("resourceType")]
    public string ResourceType { get; init; } = nameof(Project);

    /// <summary>The project id, which is also its partition key.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The project's name.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>Who owns it (a User or ClientApplication).</summary>
    [JsonPropertyName("owner"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Reference? Owner { get; init; }

    /// <summary>Members of the system project are super admins.</summary>
    [JsonPropertyName("superAdmin")]
    public bool SuperAdmin { get; init; }

    /// <summary>Other projects whose resources this one may read, never write.</summary>
    [JsonPropertyName("link")]
    public IReadOnlyList<ProjectLink> Link { get; init; } = [];

    /// <summary>The resource types this project exposes to projects that link to it (all when empty).</summary>
    [JsonPropertyName("exportedResourceType")]
    public IReadOnlyList<string> ExportedResourceType { get; init; } = [];

    /// <summary>Named project settings (Medplum's <c>setting[]</c>).</summary>
    [JsonPropertyName("setting")]
    public IReadOnlyList<ProjectSetting> Setting { get; init; } = [];
}

/// <summary>A named project setting with a string, boolean or number value.</summary>
/// <param name="Name">The setting's name.</param>
/// <param name="ValueString">A string value.</param>
/// <param name="ValueBoolean">A boolean value.</param>
/// <param name="ValueDecimal">A number value.</param>
public sealed record ProjectSetting(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("valueString"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ValueString = null,
    [property: JsonPropertyName("valueBoolean"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? ValueBoolean = null,
    [property: JsonPropertyName("valueDecimal"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? ValueDecimal = null);

/// <summary>A link to a shared, read-only project.</summary>
/// <param name="Project">The linked project.</param>
public sealed record ProjectLink([property: JsonPropertyName("project")] Reference Project);
