using System.Text.Json.Serialization;

namespace Enclave.Domain.Tenancy;

/// <summary>
/// A user's or client application's membership of one project (Medplum's <c>ProjectMembership</c>): what an
/// access token is bound to.
/// </summary>
public sealed record ProjectMembership
{
    /// <summary>The resource type in JSON.</summary>
    [JsonPropertyName("resourceType")]
    public string ResourceType { get; init; } = nameof(ProjectMembership);

    /// <summary>The membership id.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The project (read-only once created).</summary>
    [JsonPropertyName("project")]
    public required Reference Project { get; init; }

    /// <summary>The User or ClientApplication this membership is for (read-only once created).</summary>
    [JsonPropertyName("user")]
    public required Reference User { get; init; }

    /// <summary>Who the member is in the data: a Practitioner, Patient, RelatedPerson… or the ClientApplication.</summary>
    [JsonPropertyName("profile"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Reference? Profile { get; init; }

    /// <summary>
    /// The member's given name as this project entered it. Profile data of a user lives on the membership of the
    /// project that entered it, never on the global <see cref="Tenancy.User"/>, so it cannot cross projects (ADR 0003).
    /// </summary>
    [JsonPropertyName("firstName"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FirstName { get; init; }

    /// <summary>The member's family name as this project entered it (see <see cref="FirstName"/>).</summary>
    [JsonPropertyName("lastName"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LastName { get; init; }

    /// <summary>Project admins manage the project's members, clients and policies.</summary>
    [JsonPropertyName("admin")]
    public bool Admin { get; init; }

    /// <summary>Access policies with their parameters, in order.</summary>
    [JsonPropertyName("access")]
    public IReadOnlyList<MembershipAccess> Access { get; init; } = [];

    /// <summary>The legacy single access policy.</summary>
    [JsonPropertyName("accessPolicy"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Reference? AccessPolicy { get; init; }

    /// <summary>
    /// Why the client-supplied parts of this membership (access, legacy policy, profile) cannot be stored, or null.
    /// JSON can put nulls where the types allow none (<c>"access": [null]</c>, <c>{"policy": null}</c>); a membership
    /// like that would make every request of its member fail, so it is refused when written.
    /// </summary>
    public string? Problem()
    {
        if (Access is null || Access.Any(a => a is null))
        {
            return "access must be a list of {policy, parameter} entries.";
        }

        if (Access.FirstOrDefault(a => !IsReference(a.Policy, "AccessPolicy")) is not null || (AccessPolicy is not null && !IsReference(AccessPolicy, "AccessPolicy")))
        {
            return "Every access policy must be a reference AccessPolicy/{id}.";
        }

        if (Access.Any(a => a.Parameter is not null && a.Parameter.Any(p => p is null || string.IsNullOrEmpty(p.Name))))
        {
            return "Every access parameter needs a name.";
        }

        return Profile is not null && !IsReference(Profile, null) ? "profile must be a reference Type/{id}." : null;
    }

    /// <summary>This membership with omitted access parameters as empty lists (call after <see cref="Problem"/> found none).</summary>
    public ProjectMembership Normalized() =>
        this with { Access = [.. Access.Select(a => a.Parameter is null ? a with { Parameter = [] } : a)] };

    private static bool IsReference(Reference? reference, string? type) =>
        reference?.Value is { } value && value.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 && slash < value.Length - 1
        && (type is null || value[..slash] == type);
}

/// <summary>One access policy of a membership and the values of its parameters.</summary>
/// <param name="Policy">The AccessPolicy.</param>
/// <param name="Parameter">Named values substituted into the policy.</param>
public sealed record MembershipAccess(
    [property: JsonPropertyName("policy")] Reference Policy,
    [property: JsonPropertyName("parameter")] IReadOnlyList<AccessParameter> Parameter);

/// <summary>A named policy parameter: a string or a reference.</summary>
/// <param name="Name">The parameter name (used as <c>%name</c> in criteria).</param>
/// <param name="ValueString">A string value.</param>
/// <param name="ValueReference">A reference value.</param>
public sealed record AccessParameter(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("valueString"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ValueString = null,
    [property: JsonPropertyName("valueReference"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Reference? ValueReference = null);
