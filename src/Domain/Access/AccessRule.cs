using Enclave.Domain.Search;

namespace Enclave.Domain.Access;

/// <summary>
/// One rule of a membership's effective policy, with its parameters substituted: the type it covers (<c>*</c> for
/// every non-admin type), the search a resource must match (none: every resource of the type), the interactions
/// it allows, and its hidden and read-only fields.
/// </summary>
/// <param name="Source">Where it came from, e.g. <c>AccessPolicy/clinic resource[0]</c>, for refusals and explanations.</param>
/// <param name="ResourceType">The type, or <c>*</c>.</param>
/// <param name="Criteria">The parsed criteria, parameters substituted; null for none.</param>
/// <param name="Interactions">The interactions it allows.</param>
/// <param name="HiddenFields">Paths removed from answers.</param>
/// <param name="ReadonlyFields">Paths a write keeps from the stored version.</param>
public sealed record AccessRule(string Source, string ResourceType, SearchRequest? Criteria, IReadOnlySet<string> Interactions,
    IReadOnlyList<string> HiddenFields, IReadOnlyList<string> ReadonlyFields)
{
    /// <summary>Whether the rule speaks about resources of <paramref name="type"/>.</summary>
    public bool Covers(string type) => ResourceType == type || (ResourceType == "*" && !AccessPolicyValidator.AdminTypes.Contains(type));
}
