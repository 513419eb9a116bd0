using Enclave.Domain.Search;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace Enclave.Domain.Access;

/// <summary>
/// One rule of a membership's effective policy, with its parameters substituted: the type it covers (<c>*</c> for
/// every non-admin type), the search a resource must match (none: every resource of the type), the interactions
/// it allows, its hidden and read-only fields and its write constraints. The criteria are parsed once, when the
/// policy is compiled, and the same parsed search is pushed into Cosmos queries and evaluated in memory.
/// </summary>
/// <param name="Source">Where it came from, e.g. <c>AccessPolicy/clinic resource[0]</c>, for refusals and explanations.</param>
/// <param name="ResourceType">The type, or <c>*</c>.</param>
/// <param name="Criteria">The parsed criteria, parameters substituted; null for none.</param>
/// <param name="Interactions">The interactions it allows.</param>
/// <param name="HiddenFields">Paths removed from answers (and kept from the stored version on writes).</param>
/// <param name="ReadonlyFields">Paths a write keeps from the stored version.</param>
public sealed record AccessRule(string Source, string ResourceType, SearchRequest? Criteria, IReadOnlySet<string> Interactions,
    IReadOnlyList<string> HiddenFields, IReadOnlyList<string> ReadonlyFields)
{
    /// <summary>The write constraints: FHIRPath over <c>%before</c> and <c>%after</c>, each must yield exactly one <c>true</c>.</summary>
    public IReadOnlyList<(string Expression, CompiledExpression Compiled)> WriteConstraints { get; init; } = [];

    /// <summary>The search parameters the criteria look at: all a decision needs extracted from a resource.</summary>
    public IReadOnlySet<string> Codes { get; } = Criteria?.Criteria.Select(c => c.Code).ToHashSet(StringComparer.Ordinal) ?? [];

    /// <summary>Whether the rule speaks about resources of <paramref name="type"/>.</summary>
    public bool Covers(string type) => ResourceType == type || (ResourceType == "*" && !AccessPolicyValidator.AdminTypes.Contains(type));

    /// <summary>
    /// Whether a resource of a covered type (with the index of at least <see cref="Codes"/>) meets the criteria at
    /// <paramref name="now"/> (what <c>ap</c> dates are near).
    /// </summary>
    public bool Matches(Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now, ResourceIndex index) =>
        Criteria is null || InMemorySearch.Matches(Criteria, resource, lastUpdated, now, index);
}
