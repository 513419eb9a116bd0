using System.Text.Json.Serialization;

namespace Enclave.Domain.Access;

/// <summary>
/// A Medplum-compatible AccessPolicy: per resource type, what a member may see and do. Rules are read in order;
/// parameters (<c>%profile</c>, <c>%patient</c>, and each <c>access[].parameter</c> by name) stand for values of the
/// membership using the policy.
/// </summary>
public sealed record AccessPolicy
{
    /// <summary>The policy id.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>A name for people.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>
    /// The account that resources a member creates with this policy are put in, e.g. <c>%organization</c> (Medplum's
    /// <c>AccessPolicy.compartment</c>): how a member who cannot set accounts still creates inside its tenant.
    /// </summary>
    [JsonPropertyName("compartment")]
    public AccessPolicyReference? Compartment { get; init; }

    /// <summary>
    /// Client-address rules, in order: the first whose network holds the caller's address decides (allow or block);
    /// none matching allows. Checked on every request, not only at sign-in.
    /// </summary>
    [JsonPropertyName("ipAccessRule")]
    public IReadOnlyList<AccessPolicyIpRule> IpAccessRule { get; init; } = [];

    /// <summary>The rules, in order.</summary>
    [JsonPropertyName("resource")]
    public IReadOnlyList<AccessPolicyRule> Resource { get; init; } = [];
}

/// <summary>One rule of an AccessPolicy.</summary>
public sealed record AccessPolicyRule
{
    /// <summary>The resource type, or <c>*</c> for every non-admin type.</summary>
    [JsonPropertyName("resourceType")]
    public string ResourceType { get; init; } = string.Empty;

    /// <summary>
    /// The compartment the resources must be in (Medplum's per-rule <c>compartment</c>): a reference or a parameter,
    /// AND-ed with <see cref="Criteria"/> exactly as <c>_compartment=&lt;reference&gt;</c> would be.
    /// </summary>
    [JsonPropertyName("compartment")]
    public AccessPolicyReference? Compartment { get; init; }

    /// <summary>A FHIR search (<c>Type?param=value</c>) the resources must match.</summary>
    [JsonPropertyName("criteria")]
    public string? Criteria { get; init; }

    /// <summary>Read-only access (read, vread, history, search) unless <see cref="Interaction"/> says otherwise.</summary>
    [JsonPropertyName("readonly")]
    public bool? Readonly { get; init; }

    /// <summary>The interactions allowed (all when absent).</summary>
    [JsonPropertyName("interaction")]
    public IReadOnlyList<string>? Interaction { get; init; }

    /// <summary>Element paths removed from every answer.</summary>
    [JsonPropertyName("hiddenFields")]
    public IReadOnlyList<string> HiddenFields { get; init; } = [];

    /// <summary>Element paths a write cannot change.</summary>
    [JsonPropertyName("readonlyFields")]
    public IReadOnlyList<string> ReadonlyFields { get; init; } = [];

    /// <summary>FHIRPath expressions (with <c>%before</c> and <c>%after</c>) that must each yield exactly one <c>true</c>.</summary>
    [JsonPropertyName("writeConstraint")]
    public IReadOnlyList<AccessPolicyExpression> WriteConstraint { get; init; } = [];
}

/// <summary>A client-address rule.</summary>
/// <param name="Name">A name for people.</param>
/// <param name="Value">An address (<c>203.0.113.7</c>) or a CIDR network (<c>203.0.113.0/24</c>, <c>2001:db8::/32</c>).</param>
/// <param name="Action"><c>allow</c> or <c>block</c>.</param>
public sealed record AccessPolicyIpRule(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("value")] string? Value,
    [property: JsonPropertyName("action")] string? Action)
{
    /// <summary>The network, when <see cref="Value"/> is an address or a CIDR network.</summary>
    public System.Net.IPNetwork? Network =>
        System.Net.IPNetwork.TryParse(Value, out var network) ? network
        : System.Net.IPAddress.TryParse(Value, out var address) ? new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8)
        : null;
}

/// <summary>A reference in a policy: <c>Type/id</c> or a parameter (<c>%organization</c>).</summary>
/// <param name="Reference">The reference.</param>
public sealed record AccessPolicyReference([property: JsonPropertyName("reference")] string? Reference);

/// <summary>A FHIRPath expression of a write constraint.</summary>
/// <param name="Language">Must be <c>text/fhirpath</c>.</param>
/// <param name="Expression">The expression.</param>
public sealed record AccessPolicyExpression(
    [property: JsonPropertyName("language")] string? Language,
    [property: JsonPropertyName("expression")] string? Expression);
