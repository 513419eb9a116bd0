using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Access;

/// <summary>
/// What one membership may do: the union of its legacy <c>accessPolicy</c> and every <c>access[]</c> entry, in order,
/// each rule's parameters substituted structurally from that entry (<c>%profile</c>, <c>%patient</c>, and
/// <c>access[].parameter</c> by name; <c>%name.id</c> is the id of a reference). A rule whose parameter cannot be
/// resolved is dropped: it can only ever deny. A membership without any policy has full access to every non-admin
/// type (<see cref="Unrestricted"/>).
/// </summary>
public sealed class EffectivePolicy
{
    private static readonly string[] s_readInteractions = ["read", "vread", "history", "search"];

    private EffectivePolicy(IReadOnlyList<AccessRule>? rules) => Rules = rules;

    /// <summary>The rules in order, or null when the membership is unrestricted.</summary>
    public IReadOnlyList<AccessRule>? Rules { get; }

    /// <summary>Full access to non-admin types.</summary>
    public static EffectivePolicy Unrestricted { get; } = new(null);

    /// <summary>
    /// Builds the effective policy of <paramref name="membership"/> from its policies (looked up by
    /// <paramref name="policies"/>; a policy that cannot be found contributes nothing, so it denies).
    /// </summary>
    public static EffectivePolicy For(ProjectMembership membership, Func<string, AccessPolicy?> policies)
    {
        ArgumentNullException.ThrowIfNull(membership);
        ArgumentNullException.ThrowIfNull(policies);
        var entries = new List<(Reference Policy, IReadOnlyList<AccessParameter> Parameters)>();
        if (membership.AccessPolicy is { } legacy)
        {
            entries.Add((legacy, []));
        }

        entries.AddRange(membership.Access.Select(a => (a.Policy, a.Parameter)));
        if (entries.Count == 0)
        {
            return Unrestricted;
        }

        var rules = new List<AccessRule>();
        foreach (var (reference, parameters) in entries)
        {
            if (policies(reference.Id) is not { } policy)
            {
                continue;
            }

            for (var i = 0; i < policy.Resource.Count; i++)
            {
                if (Compile(policy.Resource[i], $"AccessPolicy/{reference.Id} resource[{i}]", name => Parameter(name, membership, parameters)) is { } rule)
                {
                    rules.Add(rule);
                }
            }
        }

        return new EffectivePolicy(rules);
    }

    /// <summary>Whether <paramref name="interaction"/> on <paramref name="type"/> is allowed at all (before looking at any instance).</summary>
    public bool AllowsType(string type, string interaction) =>
        AccessPolicyValidator.AdminTypes.Contains(type) ? false : Rules is null || Rules.Any(r => r.Covers(type) && r.Interactions.Contains(interaction));

    /// <summary>
    /// The first rule that lets <paramref name="interaction"/> touch <paramref name="resource"/>, or null (denied).
    /// Its hidden and read-only fields apply to that resource.
    /// </summary>
    public AccessRule? Decide(string interaction, Resource resource, DateTimeOffset lastUpdated)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (AccessPolicyValidator.AdminTypes.Contains(resource.TypeName))
        {
            return null;
        }

        if (Rules is null)
        {
            return s_unrestrictedRule;
        }

        ResourceIndex? index = null;
        foreach (var rule in Rules.Where(r => r.Covers(resource.TypeName) && r.Interactions.Contains(interaction)))
        {
            if (rule.Criteria is null || InMemorySearch.Matches(rule.Criteria, resource, lastUpdated, index ??= ResourceIndexer.Index(resource)))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>
    /// The search filter for <paramref name="interaction"/> on <paramref name="type"/>: one group of criteria per rule
    /// that allows it (an empty group for a rule without criteria), pushed into the query so pages are full and totals
    /// count only what the caller may see. Null when unrestricted; no groups when nothing is allowed.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<SearchCriterion>>? SearchFilter(string type, string interaction)
    {
        if (Rules is null && !AccessPolicyValidator.AdminTypes.Contains(type))
        {
            return null;
        }

        return [.. (Rules ?? []).Where(r => !AccessPolicyValidator.AdminTypes.Contains(type) && r.Covers(type) && r.Interactions.Contains(interaction))
            .Select(r => r.Criteria?.Criteria ?? [])];
    }

    private static readonly AccessRule s_unrestrictedRule =
        new("unrestricted", "*", null, AccessPolicyValidator.Interactions, [], []);

    private static AccessRule? Compile(AccessPolicyRule rule, string source, Func<string, string?> parameter)
    {
        var interactions = rule.Interaction is { } listed
            ? listed.ToHashSet(StringComparer.Ordinal)
            : rule.Readonly == true ? s_readInteractions.ToHashSet(StringComparer.Ordinal) : AccessPolicyValidator.Interactions.ToHashSet(StringComparer.Ordinal);
        SearchRequest? criteria = null;
        if (rule.Criteria is { } text)
        {
            var question = text.IndexOf('?', StringComparison.Ordinal);
            if (!AccessPolicyValidator.TrySubstitute(question < 0 ? string.Empty : text[(question + 1)..], parameter, out var pairs, out _))
            {
                return null;
            }

            var (parsed, refusal) = SearchParser.Parse(rule.ResourceType, pairs, strict: true);
            if (refusal is not null)
            {
                return null;
            }

            criteria = parsed;
        }

        return new AccessRule(source, rule.ResourceType, criteria, interactions, rule.HiddenFields, rule.ReadonlyFields);
    }

    /// <summary><c>%profile</c>, <c>%patient</c> (the profile when it is a Patient), or a named <c>access[].parameter</c>; <c>.id</c> takes the id.</summary>
    private static string? Parameter(string name, ProjectMembership membership, IReadOnlyList<AccessParameter> parameters)
    {
        var idOnly = name.EndsWith(".id", StringComparison.Ordinal);
        var key = idOnly ? name[..^3] : name;
        var value = parameters.FirstOrDefault(p => p.Name == key) is { } given
            ? given.ValueReference?.Value ?? given.ValueString
            : key switch
            {
                "profile" => membership.Profile?.Value,
                "patient" when membership.Profile?.ResourceType == "Patient" => membership.Profile.Value,
                _ => null,
            };
        return value is null ? null : idOnly ? value[(value.IndexOf('/', StringComparison.Ordinal) + 1)..] : value;
    }
}
