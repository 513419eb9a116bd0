using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Access;

/// <summary>
/// Checks an AccessPolicy when it is written, so that nothing that cannot be enforced is ever stored (fail closed):
/// every element must be one Enclave enforces, of the right JSON kind (<see cref="AccessPolicyShape"/>); each rule's
/// type must be a FHIR resource type (spelled exactly) or <c>*</c>; its compartment a parameter or a reference; its
/// criteria must be a search of that same type that parses strictly once every parameter (<c>%name</c> or
/// <c>%name.id</c>, a whole value) stands for a value; its interactions must be known; its write constraints must
/// compile. A refusal names the element or the rule.
/// </summary>
public static partial class AccessPolicyValidator
{
    /// <summary>A whole value that is a parameter: <c>%name</c> or <c>%name.id</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"^%[A-Za-z_][A-Za-z0-9_]*(\.id)?$")]
    private static partial System.Text.RegularExpressions.Regex ParameterToken();

    /// <summary>A FHIR id.</summary>

    /// <summary>A % that is not a URL escape: a parameter inside other text.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("%(?![0-9A-Fa-f]{2})")]
    private static partial System.Text.RegularExpressions.Regex StrayPercent();

    /// <summary>Resource types a wildcard rule never covers (and the FHIR routes never serve: admins reach them through their own).</summary>
    public static IReadOnlySet<string> AdminTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
        { "Project", "ProjectMembership", "User", "AccessPolicy", "ClientApplication", Audit.AuditEvents.ResourceType };

    /// <summary>The interactions a rule may name.</summary>
    public static IReadOnlySet<string> Interactions { get; } = new HashSet<string>(StringComparer.Ordinal)
        { "read", "vread", "history", "search", "create", "update", "patch", "delete" };

    /// <summary>The policy, or the outcome naming the first rule that cannot be enforced.</summary>
    public static (AccessPolicy? Policy, OperationOutcome? Refusal) Validate(JsonElement body)
    {
        if (AccessPolicyShape.Check(body) is var (shape, path))
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Structure, shape, path));
        }

        if (!body.TryGetProperty("resourceType", out var resourceType) || resourceType.GetString() != "AccessPolicy")
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, "AccessPolicy.resourceType must be AccessPolicy.", "AccessPolicy.resourceType"));
        }

        AccessPolicy? policy;
        try
        {
            policy = body.Deserialize<AccessPolicy>();
        }
        catch (JsonException ex)
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Structure, $"The AccessPolicy cannot be read: {ex.Message}"));
        }

        if (policy!.Compartment is { } compartment && !IsCompartment(compartment))
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                $"AccessPolicy.compartment: '{compartment.Reference}' is neither a parameter (%name) nor a reference (Type/id).", "AccessPolicy.compartment"));
        }

        for (var i = 0; i < policy.IpAccessRule.Count; i++)
        {
            if (policy.IpAccessRule[i] is { Network: null } or { Action: not ("allow" or "block") })
            {
                return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                    $"AccessPolicy.ipAccessRule[{i}]: the value must be an address or a CIDR network and the action allow or block.", $"AccessPolicy.ipAccessRule[{i}]"));
            }
        }

        for (var i = 0; i < policy.Resource.Count; i++)
        {
            if (Problem(policy.Resource[i]) is { } problem)
            {
                return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, $"AccessPolicy.resource[{i}]: {problem}", $"AccessPolicy.resource[{i}]"));
            }
        }

        return (policy, null);
    }

    /// <summary>
    /// Why a membership's policy references (<paramref name="access"/> and the legacy <paramref name="accessPolicy"/>)
    /// cannot be enforced, or null: each <c>access[]</c> entry and the legacy <c>accessPolicy</c> must reference an
    /// AccessPolicy, and each parameter must have a name and one value. Checked when a membership is written, so that
    /// a membership never silently loses a policy (and its limits).
    /// </summary>
    public static string? AccessProblem(IReadOnlyList<MembershipAccess>? access, Enclave.Domain.Tenancy.Reference? accessPolicy)
    {
        if (access is null)
        {
            return "ProjectMembership.access must be an array.";
        }

        for (var i = 0; i < access.Count; i++)
        {
            if (access[i] is not { } entry || !IsPolicyReference(entry.Policy))
            {
                return $"ProjectMembership.access[{i}].policy must reference an AccessPolicy (AccessPolicy/id).";
            }

            var parameters = entry.Parameter ?? [];
            for (var j = 0; j < parameters.Count; j++)
            {
                if (parameters[j] is not { Name.Length: > 0 } parameter
                    || (parameter.ValueString is null && parameter.ValueReference?.Value is null)
                    || (parameter.ValueString is not null && parameter.ValueReference is not null))
                {
                    return $"ProjectMembership.access[{i}].parameter[{j}] needs a name and either a valueString or a valueReference.";
                }
            }
        }

        return accessPolicy is { } legacy && !IsPolicyReference(legacy)
            ? "ProjectMembership.accessPolicy must reference an AccessPolicy (AccessPolicy/id)."
            : null;
    }

    private static bool IsPolicyReference(Enclave.Domain.Tenancy.Reference? reference) =>
        reference?.Value is { } value && value.StartsWith("AccessPolicy/", StringComparison.Ordinal) && FhirId.IsValid(value["AccessPolicy/".Length..]);

    /// <summary>
    /// The criteria's query with each whole-value parameter replaced by <paramref name="value"/>'s answer; false when
    /// a value only partly is a parameter (<c>x%name</c>) — parameters are whole values, never text.
    /// </summary>
    public static bool TrySubstitute(string query, Func<string, string?> value, out List<KeyValuePair<string, string>> pairs, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(value);
        pairs = [];
        problem = null;
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, text) = pair.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0 ? (pair[..eq], pair[(eq + 1)..]) : (pair, string.Empty);
            var parts = new List<string>();
            foreach (var part in text.Split(','))
            {
                if (ParameterToken().IsMatch(part))
                {
                    if (value(part[1..]) is not { } substituted)
                    {
                        problem = $"'{part}' is not a parameter this policy can be given.";
                        return false;
                    }

                    parts.Add(substituted);
                }
                else if (StrayPercent().IsMatch(part))
                {
                    problem = $"'{part}' mixes a parameter with text; a parameter must be a whole value (a literal % is %25).";
                    return false;
                }
                else
                {
                    parts.Add(Uri.UnescapeDataString(part));
                }
            }

            pairs.Add(new(Uri.UnescapeDataString(name), string.Join(',', parts)));
        }

        return true;
    }

    /// <summary>A compartment is a parameter (<c>%organization</c>) or a reference (<c>Organization/1</c>).</summary>
    private static bool IsCompartment(AccessPolicyReference compartment) =>
        compartment.Reference is { } reference && (ParameterToken().IsMatch(reference)
            || (reference.Split('/') is [var type, var id] && ResourceTypes.IsKnown(type) && FhirId.IsValid(id)));


    private static string? Problem(AccessPolicyRule rule)
    {
        if (rule.Compartment is { } compartment && !IsCompartment(compartment))
        {
            return $"compartment '{compartment.Reference}' is neither a parameter (%name) nor a reference (Type/id).";
        }

        if (rule.ResourceType != "*" && !ResourceTypes.IsKnown(rule.ResourceType) && !AdminTypes.Contains(rule.ResourceType))
        {
            return $"'{rule.ResourceType}' is not a resource type.";
        }

        if (rule.ResourceType == Audit.AuditEvents.ResourceType)
        {
            return "AuditEvents are read by project admins only, at /AuditEvent; a policy cannot grant them.";
        }

        if (rule.Interaction?.FirstOrDefault(i => !Interactions.Contains(i)) is { } unknown)
        {
            return $"'{unknown}' is not an interaction ({string.Join(", ", Interactions)}).";
        }

        if (rule.HiddenFields.Concat(rule.ReadonlyFields).FirstOrDefault(f => !FieldMask.IsPath(f)) is { } field)
        {
            return $"'{field}' is not a field path (element names separated by dots, such as name.family or value[x]).";
        }

        if (rule.ResourceType != "*" && rule.HiddenFields.Concat(rule.ReadonlyFields).FirstOrDefault(f => !FieldMask.Exists(rule.ResourceType, f)) is { } missing)
        {
            return $"'{missing}' is not an element of {rule.ResourceType}.";
        }

        foreach (var constraint in rule.WriteConstraint)
        {
            if (constraint.Language is not (null or "text/fhirpath") || string.IsNullOrWhiteSpace(constraint.Expression))
            {
                return "a writeConstraint is a text/fhirpath expression.";
            }

            if (!FhirPathExpressions.TryCompile(constraint.Expression, out _, out var error))
            {
                return $"the writeConstraint {error}";
            }
        }

        if (rule.Criteria is null)
        {
            return null;
        }

        var question = rule.Criteria.IndexOf('?', StringComparison.Ordinal);
        var type = question < 0 ? rule.Criteria : rule.Criteria[..question];
        if (rule.ResourceType == "*" || type != rule.ResourceType)
        {
            return $"the criteria '{rule.Criteria}' must search the rule's own type ({rule.ResourceType}).";
        }

        // Any value stands in for a parameter here: what matters is that the criteria parse with every parameter given.
        if (!TrySubstitute(question < 0 ? string.Empty : rule.Criteria[(question + 1)..], name => Placeholder(name), out var pairs, out var problem))
        {
            return problem;
        }

        var (parsed, refusal) = SearchParser.Parse(type, pairs, strict: true);
        if (refusal is not null)
        {
            return $"the criteria '{rule.Criteria}' do not parse: {refusal.Issue[0].Diagnostics}";
        }

        return parsed!.Criteria.Any(c => c.Chain is not null)
            ? $"the criteria '{rule.Criteria}' chain into other resources; policies do not support chained criteria yet."
            : null;
    }

    /// <summary>A stand-in for a parameter while checking criteria; real values come from the membership.</summary>
    private static string? Placeholder(string name) => name.EndsWith(".id", StringComparison.Ordinal) ? "placeholder-id" : "Patient/placeholder-id";
}
