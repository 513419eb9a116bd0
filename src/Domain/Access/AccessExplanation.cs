using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Access;

/// <summary>
/// Why a membership may or may not do something: the answer, the rule that decided, the fields that would be hidden
/// or kept read-only, what every rule of the effective policy said, what was left out of the policy, and for a
/// search the filter pushed into the query. For people debugging policies and for auditors.
/// </summary>
/// <param name="Allowed">The answer.</param>
/// <param name="Reason">Why, in a sentence.</param>
/// <param name="DecidedBy">The rule that allowed (or, for a write constraint, refused) it.</param>
/// <param name="HiddenFields">Fields removed from what the caller would see.</param>
/// <param name="ReadonlyFields">Fields a write by the caller would keep from the stored version.</param>
/// <param name="Rules">Each rule of the effective policy with what it said.</param>
/// <param name="Dropped">Policies and rules left out (they deny), with why.</param>
/// <param name="Filter">For a search: one line per group of the filter (a resource must match one group).</param>
public sealed record AccessExplanation(bool Allowed, string Reason, string? DecidedBy, IReadOnlyList<string> HiddenFields,
    IReadOnlyList<string> ReadonlyFields, IReadOnlyList<(string Rule, string Verdict)> Rules, IReadOnlyList<string> Dropped, IReadOnlyList<string> Filter)
{
    /// <summary>
    /// Explains <paramref name="interaction"/> on <paramref name="type"/> for <paramref name="policy"/>: about the stored
    /// <paramref name="before"/> (read, history, update, delete…), the candidate <paramref name="after"/> (create,
    /// update, patch), or neither (the type as a whole, and for search the filter).
    /// </summary>
    public static AccessExplanation For(EffectivePolicy policy, string interaction, string type, Resource? before, DateTimeOffset beforeUpdated,
        Resource? after, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var subject = after ?? before;
        var rules = (policy.Rules ?? []).Select(r => (r.Source, Verdict(r, interaction, type, subject, subject == after ? now : beforeUpdated, now))).ToList();
        var fieldsRule = subject is null ? null : policy.FieldsRule(subject, subject == after ? now : beforeUpdated, now);
        var filter = interaction == "search" && subject is null
            ? policy.SearchFilter(type, "search") is { } groups
                ? [.. groups.Select(g => g.Count == 0 ? "every resource" : Describe(type, g))]
                : new List<string> { "every resource (no policy)" }
            : [];

        string reason;
        string? decidedBy = null;
        bool allowed;
        if (!policy.AllowsType(type, interaction))
        {
            (allowed, reason) = (false, AccessPolicyValidator.AdminTypes.Contains(type)
                ? $"{type} is an admin type: only project admins reach it, through the tenancy routes."
                : $"No rule allows {interaction} on {type}: the answer is 403.");
        }
        else if (policy.IsUnrestricted)
        {
            (allowed, reason) = (true, "The membership has no access policy: full access to non-admin types.");
        }
        else if (interaction is "create" or "update" or "patch" or "delete" && (after is not null || before is not null))
        {
            var decision = policy.AuthorizeWrite(interaction, before, beforeUpdated, after, now);
            allowed = decision.Denial is null && !decision.Invisible;
            decidedBy = decision.Rule?.Source;
            reason = decision.Invisible ? $"The stored {type} is not visible to the membership: the answer is 404, as if it did not exist."
                : decision.Denial ?? $"{decision.Rule!.Source} allows {interaction} of this {type} (and its write constraints hold).";
        }
        else if (subject is not null)
        {
            var rule = policy.Decide(interaction, subject, subject == after ? now : beforeUpdated, now);
            allowed = rule is not null;
            decidedBy = rule?.Source;
            reason = rule is null
                ? $"No rule that allows {interaction} on {type} matches this resource: the answer is 404, as if it did not exist."
                : $"{rule.Source} allows {interaction} and its criteria match this resource.";
        }
        else
        {
            (allowed, reason) = (true, interaction == "search"
                ? $"Searches of {type} return only resources matching the filter below; pages and totals count nothing else."
                : $"Some rule allows {interaction} on {type}; whether a given resource is reachable depends on its criteria.");
        }

        return new AccessExplanation(allowed, reason, decidedBy, fieldsRule?.HiddenFields ?? [], fieldsRule?.ReadonlyFields ?? [], rules, policy.Dropped, filter);
    }

    private static string Verdict(AccessRule rule, string interaction, string type, Resource? subject, DateTimeOffset lastUpdated, DateTimeOffset now)
    {
        var criteria = rule.Criteria is null ? "no criteria" : $"criteria {Describe(rule.ResourceType, rule.Criteria.Criteria)}";
        if (!rule.Covers(type))
        {
            return $"does not cover {type} ({rule.ResourceType})";
        }

        if (!rule.Interactions.Contains(interaction))
        {
            return $"covers {type} but allows only {string.Join(", ", rule.Interactions.Order(StringComparer.Ordinal))}";
        }

        if (subject is null)
        {
            return $"allows {interaction} on {type} with {criteria}";
        }

        return rule.Matches(subject, lastUpdated, now, ResourceIndexer.Index(subject, rule.Codes))
            ? $"allows {interaction}; {criteria} match"
            : $"allows {interaction}; {criteria} do not match";
    }

    /// <summary>Criteria as a search string, parameters already substituted: <c>Patient?organization=Organization/1</c>.</summary>
    public static string Describe(string type, IEnumerable<SearchCriterion> criteria) =>
        $"{type}?{string.Join('&', criteria.Select(c => $"{c.Code}{(c.Modifier is null ? string.Empty : ":" + c.Modifier)}={string.Join(',', c.Values)}"))}";
}
