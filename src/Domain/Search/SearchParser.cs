using System.Globalization;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>
/// Turns a query string (or a <c>_search</c> form) into a <see cref="SearchRequest"/>. Values that cannot mean
/// anything (a date that is not a date, an unknown modifier) are refused with an OperationOutcome; parameters
/// Enclave does not support are ignored and listed, or refused when <c>strict</c> (<c>Prefer: handling=strict</c>,
/// and always for the criteria of conditional operations). A search is bounded: at most
/// <see cref="MaxParameters"/> parameters, <see cref="MaxValues"/> values in one, chains <see cref="MaxChainDepth"/> deep.
/// </summary>
public static class SearchParser
{
    /// <summary>The most parameters one search may have.</summary>
    public const int MaxParameters = 100;

    /// <summary>The most comma-separated values one parameter may have.</summary>
    public const int MaxValues = 100;

    /// <summary>The most links in one chain (<c>subject:Patient.organization.name</c> has 2), <c>_has</c> included.</summary>
    public const int MaxChainDepth = 4;

    /// <summary>Result parameters that shape the answer rather than select resources.</summary>
    private static readonly HashSet<string> s_resultParameters = ["_format", "_pretty", "_summary", "_elements", "_count", "_total"];

    /// <summary>The parameters common to every resource type that Enclave supports.</summary>
    public static IReadOnlyDictionary<string, SearchParamType> CommonParameters => s_common;

    private static readonly Dictionary<string, SearchParamType> s_common = new(StringComparer.Ordinal)
    {
        ["_id"] = SearchParamType.Token,
        ["_lastUpdated"] = SearchParamType.Date,
        ["_tag"] = SearchParamType.Token,
        ["_security"] = SearchParamType.Token,
        ["_profile"] = SearchParamType.Uri,
        ["_source"] = SearchParamType.Uri,
        ["_compartment"] = SearchParamType.Reference,
    };

    /// <summary>The parameters of a type that Enclave searches by (besides the common ones): all but the special ones.</summary>
    public static IEnumerable<SearchParameter> TypeParameters(string resourceType) =>
        SearchParameters.For(resourceType).Values.Where(p => p.Type is not SearchParamType.Special);

    /// <summary>Parses <paramref name="query"/> for a search of <paramref name="resourceType"/> (empty: across types, with <c>_type</c>).</summary>
    public static (SearchRequest? Request, OperationOutcome? Refusal) Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> query, bool strict) =>
        Parse(resourceType, query, strict, 0);

    private static (SearchRequest? Request, OperationOutcome? Refusal) Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> query, bool strict, int depth)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pairs = query.Take(MaxParameters + 1).ToList();
        if (pairs.Count > MaxParameters)
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.TooCostly, $"A search takes at most {MaxParameters} parameters."));
        }

        if (depth > MaxChainDepth)
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.TooCostly, $"A chain may have at most {MaxChainDepth} links."));
        }
        var criteria = new List<SearchCriterion>();
        var ignored = new List<string>();
        var count = SearchRequest.DefaultCount;
        var sort = new List<SortKey>();
        var types = new List<string>();
        var includes = new List<SearchInclude>();
        var revIncludes = new List<SearchInclude>();
        var parameters = SearchParameters.For(resourceType);
        foreach (var (name, value) in pairs)
        {
            if (SearchValues.SplitOr(value).Count > MaxValues)
            {
                return Refuse(name, $"A search parameter takes at most {MaxValues} values.", OperationOutcome.IssueType.TooCostly);
            }

            if (name == "_count")
            {
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 0)
                {
                    return Refuse(name, "_count must be a non-negative integer.");
                }

                count = Math.Min(count, SearchRequest.MaxCount);
                continue;
            }

            if (name == "_sort")
            {
                foreach (var key in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var sortCode = key.TrimStart('-');
                    if (sortCode is not ("_id" or "_lastUpdated") && !(parameters.TryGetValue(sortCode, out var sortable) && sortable.Type is not (SearchParamType.Composite or SearchParamType.Special)))
                    {
                        return Refuse(name, $"{resourceType} cannot be sorted by '{sortCode}'.");
                    }

                    sort.Add(new SortKey(sortCode, key.StartsWith('-')));
                }

                continue;
            }

            if (name == "_type" && resourceType.Length == 0)
            {
                foreach (var listed in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!ResourceTypes.IsKnown(listed))
                    {
                        return Refuse(name, $"'{listed}' is not a FHIR R4 resource type.");
                    }

                    types.Add(listed);
                }

                continue;
            }

            if (name is "_include" or "_revinclude" or "_include:iterate" or "_revinclude:iterate")
            {
                var include = ParseInclude(value, name.EndsWith(":iterate", StringComparison.Ordinal));
                if (include is null)
                {
                    return Refuse(name, $"{name} takes SourceType:parameter[:TargetType] with a reference parameter of that type.");
                }

                (name.StartsWith("_include", StringComparison.Ordinal) ? includes : revIncludes).Add(include);
                continue;
            }

            if (name == "_total" && value is not ("none" or "estimate" or "accurate"))
            {
                return Refuse(name, "_total takes none, estimate or accurate.");
            }

            if (s_resultParameters.Contains(name))
            {
                continue;
            }

            if (name is "_id" or "_id:not" && value.Split(',').FirstOrDefault(id => !Fhir.FhirId.IsValid(id)) is { } badId)
            {
                return Refuse(name, $"'{badId}' is not a FHIR id ([A-Za-z0-9-.]{{1,64}}).");
            }

            if (name == "_compartment" && value.Split(',').FirstOrDefault(r => r.Split('/') is not [var t, var i] || !Fhir.ResourceTypes.IsKnown(t) || !Fhir.FhirId.IsValid(i)) is { } badCompartment)
            {
                return Refuse(name, $"_compartment takes Type/id, not '{badCompartment}'.");
            }

            if (name.StartsWith("_has:", StringComparison.Ordinal) || name.Contains('.', StringComparison.Ordinal))
            {
                var (chained, chainRefusal) = ParseChain(resourceType, name, value, depth);
                if (chainRefusal is not null)
                {
                    return (null, chainRefusal);
                }

                criteria.Add(chained!);
                continue;
            }

            var colon = name.IndexOf(':', StringComparison.Ordinal);
            var code = colon < 0 ? name : name[..colon];
            var modifier = colon < 0 ? null : name[(colon + 1)..];
            SearchParamType type;
            if (parameters.TryGetValue(code, out var parameter) && parameter.Type is not SearchParamType.Special)
            {
                type = parameter.Type;
            }
            else if (!s_common.TryGetValue(code, out type))
            {
                if (strict)
                {
                    return Refuse(name, $"The search parameter '{name}' is not supported for {resourceType}.", OperationOutcome.IssueType.NotSupported);
                }

                ignored.Add(name);
                continue;
            }

            if (ModifierProblem(type, modifier, parameter) is { } problem)
            {
                return Refuse(name, problem);
            }

            var values = SearchValues.SplitOr(value);
            if (values.Select(v => ValueProblem(type, modifier, v, parameter)).FirstOrDefault(p => p is not null) is { } invalid)
            {
                return Refuse(name, invalid);
            }

            criteria.Add(new SearchCriterion(code, type, modifier, values));
        }

        return (new SearchRequest(resourceType, criteria, count, ignored) { Sort = sort, Includes = includes, RevIncludes = revIncludes, Types = types }, null);
    }

    /// <summary><c>Type:param[:Target]</c> where <c>param</c> is a reference parameter of <c>Type</c>.</summary>
    private static SearchInclude? ParseInclude(string value, bool iterate)
    {
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || !SearchParameters.For(parts[0]).TryGetValue(parts[1], out var parameter) || parameter.Type != SearchParamType.Reference)
        {
            return null;
        }

        var target = parts.Length == 3 ? parts[2] : null;
        return target is not null && !ResourceTypes.IsKnown(target) ? null : new SearchInclude(parts[0], parts[1], target, iterate);
    }

    /// <summary>
    /// <c>param[:Type].rest=value</c> (a chain: the referenced resource must match <c>rest=value</c>) or
    /// <c>_has:Type:param:rest=value</c> (a reverse chain: some <c>Type</c> referring through <c>param</c> must match).
    /// </summary>
    private static (SearchCriterion?, OperationOutcome?) ParseChain(string resourceType, string name, string value, int depth)
    {
        if (name.StartsWith("_has:", StringComparison.Ordinal))
        {
            var parts = name.Split(':', 4);
            if (parts.Length < 4 || !SearchParameters.For(parts[1]).TryGetValue(parts[2], out var back) || back.Type != SearchParamType.Reference
                || (back.Targets.Count > 0 && !back.Targets.Contains(resourceType)))
            {
                return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                    $"'{name}' must be _has:Type:parameter:criterion, with a reference parameter of Type that can point at {resourceType}.", name));
            }

            var (inner, refusal) = Parse(parts[1], [new(parts[3], value)], strict: true, depth + 1);
            return refusal is not null ? (null, refusal) : (new SearchCriterion("_has", SearchParamType.Special, $"{parts[1]}:{parts[2]}", []) { Chain = inner }, null);
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var head = name[..dot].Split(':');
        if (!SearchParameters.For(resourceType).TryGetValue(head[0], out var parameter) || parameter.Type != SearchParamType.Reference)
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, $"'{head[0]}' is not a reference parameter of {resourceType}, so it cannot be chained.", name));
        }

        var target = head.Length > 1 ? head[1] : parameter.Targets.Count == 1 ? parameter.Targets[0] : null;
        if (target is null || !ResourceTypes.IsKnown(target) || (parameter.Targets.Count > 0 && !parameter.Targets.Contains(target)))
        {
            return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                $"Name the type '{head[0]}' points at, e.g. {head[0]}:{(parameter.Targets.Count > 0 ? parameter.Targets[0] : "Patient")}.{name[(dot + 1)..]}.", name));
        }

        var (chain, chainRefusal) = Parse(target, [new(name[(dot + 1)..], value)], strict: true, depth + 1);
        return chainRefusal is not null ? (null, chainRefusal) : (new SearchCriterion(head[0], SearchParamType.Reference, target, []) { Chain = chain }, null);
    }

    private static string? ModifierProblem(SearchParamType type, string? modifier, SearchParameter? parameter)
    {
        if (modifier is null or "missing")
        {
            return null;
        }

        var allowed = type switch
        {
            SearchParamType.String => modifier is "exact" or "contains",
            SearchParamType.Token => modifier is "not" or "text" or "of-type",
            SearchParamType.Reference => modifier == "identifier" || (ResourceTypes.IsKnown(modifier) && (parameter is null || parameter.Targets.Count == 0 || parameter.Targets.Contains(modifier))),
            SearchParamType.Uri => modifier is "below" or "above",
            _ => false,
        };
        return allowed ? null : $"The modifier ':{modifier}' cannot be used with a {type.ToString().ToLowerInvariant()} parameter.";
    }

    private static string? ValueProblem(SearchParamType type, string? modifier, string value, SearchParameter? parameter)
    {
        if (modifier == "missing")
        {
            return value is "true" or "false" ? null : ":missing takes true or false.";
        }

        switch (type)
        {
            case SearchParamType.Composite:
                var parts = value.Split('$');
                return parts.Length != parameter!.Components.Count
                    ? $"'{value}' must have {parameter.Components.Count} parts separated by '$'."
                    : parts.Select((part, i) => ValueProblem(parameter.Components[i].Type, null, part, null)).FirstOrDefault(p => p is not null);
            case SearchParamType.Date:
                var (_, date) = SearchValues.SplitPrefix(value);
                return DateRange.TryParse(date, out _) ? null : $"'{value}' is not a FHIR date, dateTime or instant.";
            case SearchParamType.Number:
                var (_, number) = SearchValues.SplitPrefix(value);
                return SearchValues.TryParseNumber(number, out _, out _, out _) ? null : $"'{value}' is not a number.";
            case SearchParamType.Quantity:
                var (_, quantity) = SearchValues.SplitPrefix(value);
                return SearchValues.TryParseNumber(quantity.Split('|')[0], out _, out _, out _) ? null : $"'{value}' is not a quantity (number|system|code).";
            case SearchParamType.Token when modifier == "of-type":
                return value.Split('|').Length == 3 ? null : ":of-type takes system|code|value.";
            default:
                return value.Length == 0 ? "A search value cannot be empty." : null;
        }
    }

    private static (SearchRequest?, OperationOutcome?) Refuse(string parameter, string message, OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid) =>
        (null, FhirErrors.Outcome(code, message, parameter));
}
