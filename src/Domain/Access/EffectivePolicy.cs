using System.Text.Json.Nodes;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

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

    private EffectivePolicy(IReadOnlyList<AccessRule>? rules, IReadOnlyList<string>? dropped = null, IReadOnlyList<string>? accounts = null,
        IReadOnlyList<(System.Net.IPNetwork Network, bool Allow)>? addressRules = null)
    {
        Rules = rules;
        Dropped = dropped ?? [];
        Accounts = accounts ?? [];
        _addressRules = addressRules ?? [];
    }

    private readonly IReadOnlyList<(System.Net.IPNetwork Network, bool Allow)> _addressRules;

    /// <summary>
    /// Whether a request from <paramref name="address"/> may proceed: the first address rule (policies in order) whose
    /// network holds it decides; none matching allows. With rules but no known address, no (fail closed).
    /// </summary>
    public bool AllowsAddress(System.Net.IPAddress? address)
    {
        if (_addressRules.Count == 0)
        {
            return true;
        }

        if (address is null)
        {
            return false;
        }

        address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var (network, allow) in _addressRules)
        {
            if (network.Contains(address))
            {
                return allow;
            }
        }

        return true;
    }

    /// <summary>The accounts a member's creates are put in: each policy's <c>compartment</c>, parameters substituted.</summary>
    public IReadOnlyList<string> Accounts { get; }

    /// <summary>The rules in order, or null when the membership is unrestricted.</summary>
    public IReadOnlyList<AccessRule>? Rules { get; }

    /// <summary>What was left out because it could not be resolved (and so denies), with why: for explanations.</summary>
    public IReadOnlyList<string> Dropped { get; }

    /// <summary>Whether there is nothing to check: no policy at all.</summary>
    public bool IsUnrestricted => Rules is null;

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

        // Stored before memberships were checked, an entry may be null or lack parts: it then references nothing, so it
        // denies — it is kept (as a reference to no policy), never dropped, or a membership of only such entries would
        // count as having no policy at all.
        entries.AddRange((membership.Access ?? []).Select(a => (a?.Policy!, (IReadOnlyList<AccessParameter>?)a?.Parameter ?? [])));
        if (entries.Count == 0)
        {
            return Unrestricted;
        }

        var rules = new List<AccessRule>();
        var dropped = new List<string>();
        var accounts = new List<string>();
        var addressRules = new List<(System.Net.IPNetwork, bool)>();
        foreach (var (reference, parameters) in entries)
        {
            if (reference?.Value is null || policies(reference.Id) is not { } policy)
            {
                dropped.Add($"{reference?.Value ?? "an access entry without a policy"}: not found, or no longer valid; it allows nothing.");
                continue;
            }

            addressRules.AddRange(policy.IpAccessRule.Where(r => r.Network is not null).Select(r => (r.Network!.Value, r.Action == "allow")));
            if (policy.Compartment?.Reference is { } compartment)
            {
                var account = compartment.StartsWith('%') ? Parameter(compartment[1..], membership, parameters) : compartment;
                if (account is null)
                {
                    dropped.Add($"AccessPolicy/{reference.Id} compartment: {compartment} is not a parameter this membership gives; creates are not put in it.");
                }
                else
                {
                    accounts.Add(account);
                }
            }

            for (var i = 0; i < policy.Resource.Count; i++)
            {
                var source = $"AccessPolicy/{reference.Id} resource[{i}]";
                if (Compile(policy.Resource[i], source, name => Parameter(name, membership, parameters)) is { } rule)
                {
                    rules.Add(rule);
                }
                else
                {
                    dropped.Add($"{source}: it cannot be resolved for this membership (criteria {policy.Resource[i].Criteria}, compartment {policy.Resource[i].Compartment?.Reference}: a parameter it does not give); it allows nothing.");
                }
            }
        }

        return new EffectivePolicy(rules, dropped, [.. accounts.Distinct(StringComparer.Ordinal)], addressRules);
    }

    /// <summary>Whether <paramref name="interaction"/> on <paramref name="type"/> is allowed at all (before looking at any instance).</summary>
    public bool AllowsType(string type, string interaction) =>
        !AccessPolicyValidator.AdminTypes.Contains(type) && (Rules is null || Rules.Any(r => r.Covers(type) && r.Interactions.Contains(interaction)));

    /// <summary>Whether every resource of <paramref name="type"/> allows <paramref name="interaction"/>: a rule without criteria allows it.</summary>
    public bool AllowsEvery(string type, string interaction) =>
        !AccessPolicyValidator.AdminTypes.Contains(type) && (Rules is null || Rules.Any(r => r.Covers(type) && r.Interactions.Contains(interaction) && r.Criteria is null));

    /// <summary>
    /// The first rule that lets <paramref name="interaction"/> touch <paramref name="resource"/>, or null (denied).
    /// Only the parameters the rules' criteria name are extracted from the resource; <paramref name="now"/> is the
    /// decision's time (what <c>ap</c> dates in criteria are near).
    /// </summary>
    public AccessRule? Decide(string interaction, Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now) =>
        First(resource, lastUpdated, now, interaction);

    /// <summary>
    /// The rule that decides <paramref name="resource"/>'s hidden and read-only fields: the first whose type and
    /// criteria match, whatever its interactions; null when none does (or the caller is unrestricted).
    /// </summary>
    public AccessRule? FieldsRule(Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now) =>
        Rules is null ? null : First(resource, lastUpdated, now, interaction: null);

    /// <summary>Whether some rule for <paramref name="type"/> hides a field (so answers must be looked at one by one).</summary>
    public bool HidesFields(string type) => Rules?.Any(r => r.Covers(type) && r.HiddenFields.Count > 0) == true;

    /// <summary>The first rule for the resource whose criteria match, among those that allow <paramref name="interaction"/> (any rule when null).</summary>
    private AccessRule? First(Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now, string? interaction)
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
        foreach (var rule in Rules)
        {
            if (rule.Covers(resource.TypeName) && (interaction is null || rule.Interactions.Contains(interaction))
                && (rule.Criteria is null || rule.Matches(resource, lastUpdated, now, index ??= ResourceIndexer.Index(resource, CodesFor(resource.TypeName)))))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>The parameters any rule for <paramref name="type"/> looks at, worked out once per type.</summary>
    private HashSet<string> CodesFor(string type) =>
        _codes.GetOrAdd(type, t => Rules!.Where(r => r.Covers(t)).SelectMany(r => r.Codes).ToHashSet(StringComparer.Ordinal));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<string>> _codes = new(StringComparer.Ordinal);

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

    /// <summary>
    /// <paramref name="request"/> limited to what <paramref name="interaction"/> may reach: its filter, and the filter of
    /// every chained or reverse-chained search inside it (so a chain cannot reveal what the caller cannot see). A
    /// search across types gets one group per allowing rule, each tied to the rule's type by a <c>_type</c> criterion.
    /// </summary>
    public SearchRequest Restrict(SearchRequest request, string interaction)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Rules is null)
        {
            return request;
        }

        var criteria = request.Criteria.Select(c => c.Chain is null ? c : c with { Chain = Restrict(c.Chain, interaction) }).ToList();
        var filter = request.IsSystemSearch
            ? [.. Rules.Where(r => r.Interactions.Contains(interaction))
                .Select(r => (IReadOnlyList<SearchCriterion>)[new SearchCriterion("_type", SearchParamType.Token, null, Types(r, request)), .. r.Criteria?.Criteria ?? []])]
            : SearchFilter(request.ResourceType, interaction);
        return request with { Criteria = criteria, Filter = filter };
    }

    /// <summary>The types a rule reaches in a search across types: its own, or every type asked for (or stored) that a wildcard covers.</summary>
    private static List<string> Types(AccessRule rule, SearchRequest request) =>
        rule.ResourceType != "*"
            ? [rule.ResourceType]
            : [.. (request.Types.Count > 0 ? request.Types : ModelInfo.SupportedResources).Where(rule.Covers)];

    /// <summary>
    /// Why <paramref name="request"/> (or a search chained inside it, or its <c>_sort</c>) cannot run for this caller:
    /// it looks at a field some rule hides from the caller, which would let matches reveal the field. Null when it can.
    /// </summary>
    public string? HiddenFieldSearched(SearchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Rules is null)
        {
            return null;
        }

        // Includes follow a reference parameter of their source type: through a hidden field, they would show where it
        // points; so does the link of a reverse chain (_has:Observation:subject:… looks at Observation.subject).
        var looked = request.Criteria.Select(c => c is { Code: "_has", Modifier: { } link } && link.Split(':') is [var linkType, var linkCode]
                ? (linkType, linkCode) : (request.ResourceType, c.Code))
            .Concat(request.Sort.Select(s => (request.ResourceType, s.Code)))
            .Concat(request.Includes.Concat(request.RevIncludes).Select(i => (i.SourceType, i.Code)));
        foreach (var (type, code) in looked)
        {
            // A search across types (no type) can only use the common parameters, each on whatever type holds the field.
            var rules = Rules.Where(r => type.Length == 0 || r.Covers(type));
            var field = rules.SelectMany(r => r.HiddenFields.Select(h => (Rule: r, Field: h)))
                .FirstOrDefault(h => Touches(type.Length == 0 ? h.Rule.ResourceType : type, code, h.Field)).Field;
            if (field is not null)
            {
                return $"The search parameter '{code}' looks at '{field}', which your access policy hides.";
            }
        }

        return request.Criteria.Where(c => c.Chain is not null).Select(c => HiddenFieldSearched(c.Chain!)).FirstOrDefault(p => p is not null);
    }

    /// <summary>Whether the parameter reaches the field, or the field lies inside what it reaches, on the element definitions.</summary>
    private static bool Touches(string type, string code, string field) =>
        type == "*" ? SearchParameterPaths.Touches("Resource", code, field) : SearchParameterPaths.Touches(type, code, field);

    /// <summary>The outcome of checking a write: the resource to store, or why not.</summary>
    /// <param name="Resource">The candidate with hidden and read-only fields kept from the stored version.</param>
    /// <param name="Rule">The rule that allows the write.</param>
    /// <param name="Denial">Why the write is refused (403).</param>
    /// <param name="Invisible">Whether the stored version is not even readable: answer as if it did not exist.</param>
    public sealed record WriteDecision(Resource? Resource, AccessRule? Rule, string? Denial, bool Invisible = false);

    /// <summary>
    /// Checks a write (<paramref name="interaction"/> is create, update, patch or delete) of <paramref name="after"/>
    /// over <paramref name="before"/> (the stored version, null for a create): the stored version must allow the
    /// interaction, its hidden and read-only fields are carried into the candidate, the candidate must allow it too,
    /// and the allowing rule's write constraints must each yield exactly one <c>true</c>.
    /// </summary>
    public WriteDecision AuthorizeWrite(string interaction, Resource? before, DateTimeOffset beforeUpdated, Resource? after, DateTimeOffset now)
    {
        var type = (after ?? before)?.TypeName ?? throw new ArgumentException("A write has a stored version, a candidate or both.", nameof(after));
        if (!AllowsType(type, interaction))
        {
            return new(null, null, $"Your access policy does not allow {interaction} on {type}.");
        }

        if (Rules is null)
        {
            return new(after, s_unrestrictedRule, null);
        }

        var storedRule = before is null ? null : Decide(interaction, before, beforeUpdated, now);
        if (before is not null && storedRule is null)
        {
            return Decide("read", before, beforeUpdated, now) is null
                ? new(null, null, null, Invisible: true)
                : new(null, null, $"Your access policy does not allow {interaction} on this {type}.");
        }

        if (after is null)
        {
            return new(null, storedRule, null);
        }

        var fields = (before is null ? null : FieldsRule(before, beforeUpdated, now)) ?? FieldsRule(after, now, now);
        if (fields is { } protecting && (protecting.HiddenFields.Count > 0 || protecting.ReadonlyFields.Count > 0))
        {
            var candidate = System.Text.Json.JsonSerializer.SerializeToNode(after, Fhir.ResourceParser.Options)!.AsObject();
            var stored = before is null ? null : System.Text.Json.JsonSerializer.SerializeToNode(before, Fhir.ResourceParser.Options)!.AsObject();
            if (FieldMask.Preserve(stored, candidate, protecting.HiddenFields.Concat(protecting.ReadonlyFields)) is { } lost)
            {
                return new(null, protecting, $"{lost} holds a field you cannot change ({protecting.Source}); keep the element.");
            }

            if (!Fhir.ResourceParser.TryParse(candidate.ToJsonString(), out after, out _))
            {
                return new(null, protecting, $"The {type} cannot be written without changing fields you cannot change ({protecting.Source}).");
            }
        }

        if (Decide(interaction, after!, now, now) is not { } rule)
        {
            return new(null, null, $"Your access policy does not allow {interaction} of a {type} like this one: no rule's criteria match it.");
        }

        foreach (var (expression, compiled) in rule.WriteConstraints)
        {
            if (!Holds(compiled, before, after!))
            {
                return new(null, rule, $"The write constraint '{expression}' of {rule.Source} does not hold.");
            }
        }

        return new(after, rule, null);
    }

    private static bool Holds(CompiledExpression constraint, Resource? before, Resource after)
    {
        var afterNode = after.ToPocoNode();
        var context = new FhirEvaluationContext();
        context.Environment["before"] = before is null ? [] : [before.ToPocoNode()];
        context.Environment["after"] = [afterNode];
        try
        {
            var result = constraint(afterNode, context).ToList();
            return result is [{ Poco: PrimitiveType { JsonValue: true } }];
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Removes the hidden fields of the rule that decides <paramref name="resource"/>'s fields from <paramref name="json"/>.</summary>
    public bool Hide(Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now, JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (FieldsRule(resource, lastUpdated, now) is not { HiddenFields.Count: > 0 } rule)
        {
            return false;
        }

        FieldMask.Remove(json, rule.HiddenFields);
        return true;
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
            if (refusal is not null || parsed!.Criteria.Any(c => c.Chain is not null))
            {
                return null;
            }

            criteria = parsed;
        }

        if (rule.Compartment?.Reference is { } compartment)
        {
            // Exactly _compartment=<reference> AND-ed with the criteria, so reads, the pushed-down search filter, writes
            // and explanations all apply it. A wildcard rule's criteria span types (no type of their own).
            var account = compartment.StartsWith('%') ? parameter(compartment[1..]) : compartment;
            if (account is null)
            {
                return null;
            }

            var inCompartment = new SearchCriterion("_compartment", SearchParamType.Reference, null, [account]);
            criteria = criteria is null
                ? new SearchRequest(rule.ResourceType == "*" ? string.Empty : rule.ResourceType, [inCompartment], SearchRequest.DefaultCount, [])
                : criteria with { Criteria = [.. criteria.Criteria, inCompartment] };
        }

        // A stored constraint that no longer compiles drops the rule: it denies.
        var constraints = new List<(string, CompiledExpression)>();
        foreach (var constraint in rule.WriteConstraint)
        {
            if (!Fhir.FhirPathExpressions.TryCompile(constraint.Expression, out var compiled, out _))
            {
                return null;
            }

            constraints.Add((constraint.Expression!, compiled!));
        }

        return new AccessRule(source, rule.ResourceType, criteria, interactions, rule.HiddenFields, rule.ReadonlyFields) { WriteConstraints = constraints };
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
