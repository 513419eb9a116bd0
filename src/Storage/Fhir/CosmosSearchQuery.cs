using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Enclave.Domain.Search;
using Enclave.Storage.Cosmos;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;
using E = Enclave.Storage.Fhir.IndexEntryJson;

namespace Enclave.Storage.Fhir;

/// <summary>
/// Translates a <see cref="SearchRequest"/> into one parameterised Cosmos SQL query over the current documents
/// of one project: every value the client sent is a parameter; the only names in the SQL text are index paths
/// taken from the R4 registry (and checked to be plain codes). Entry shapes are those of <see cref="ResourceIndexer"/>.
/// </summary>
internal sealed partial class CosmosSearchQuery
{
    private readonly StringBuilder _sql = new();
    private readonly List<(string Name, object? Value)> _parameters = [];

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PlainCode();

    /// <summary>What the query selects: the documents of a page, their count, or the references (<c>Type/id</c>) of the matches or in one of their parameters.</summary>
    public enum Selection
    {
        Documents,
        Count,
        References,
    }

    /// <summary>What <c>ap</c> dates are near: the store's clock, read once per query.</summary>
    private DateTimeOffset _now;

    private IReadOnlyDictionary<string, Domain.Search.SearchParameter> _searchParameters = new Dictionary<string, Domain.Search.SearchParameter>();

    public static QueryDefinition Build(string projectId, SearchRequest request, DateTimeOffset now, Selection selection = Selection.Documents, string? referenceCode = null,
        int limit = 0, IReadOnlyList<(string ProjectId, IReadOnlyList<string>? Types)>? links = null, string kind = ResourceDocument.CurrentKind)
    {
        var query = new CosmosSearchQuery { _searchParameters = SearchParameters.For(request.ResourceType), _now = now };
        var countOnly = selection != Selection.Documents;
        query._sql.Append(selection switch
        {
            Selection.Count => "SELECT VALUE COUNT(1) FROM c",
            Selection.References when referenceCode is not null =>
                $"SELECT DISTINCT TOP {limit.ToString(CultureInfo.InvariantCulture)} VALUE CONCAT({T(E.Type)}, \"/\", {T(E.Id)}) FROM c JOIN t IN c.idx[\"{Code(referenceCode)}\"]",
            Selection.References => $"SELECT TOP {limit.ToString(CultureInfo.InvariantCulture)} VALUE CONCAT(c.resourceType, \"/\", c.resourceId) FROM c",
            _ => StoredResourceReader.Projection + " FROM c",
        }).Append(" WHERE ").Append(query.Projects(projectId, links ?? []))
            .Append(" AND c.kind = ").Append(query.Parameter(kind))
            .Append(request.IsSystemSearch
                ? request.Types.Count == 0 ? string.Empty : $" AND ARRAY_CONTAINS({query.Parameter(request.Types.ToArray())}, c.resourceType)"
                : $" AND c.resourceType = {query.Parameter(request.ResourceType)}")
            .Append(" AND NOT c.deleted");
        if (selection == Selection.References && referenceCode is not null)
        {
            query._sql.Append(" AND IS_DEFINED(").Append(T(E.Id)).Append(')');
        }

        foreach (var criterion in request.Criteria)
        {
            query._sql.Append(" AND (").Append(query.Criterion(criterion)).Append(')');
        }

        if (request.Filter is { } filter)
        {
            query._sql.Append(" AND (").Append(filter.Count == 0 ? "false" : string.Join(" OR ", filter.Select(query.Group))).Append(')');
        }

        if (!countOnly)
        {
            query._sql.Append(" ORDER BY ").Append(request.Sort.Count == 0
                ? "c.lastUpdated DESC"
                : string.Join(", ", request.Sort.Select(k => $"{SortPath(k.Code)} {(k.Descending ? "DESC" : "ASC")}")));
        }

        var definition = new QueryDefinition(query._sql.ToString());
        foreach (var (name, value) in query._parameters)
        {
            definition.WithParameter(name, value);
        }

        return definition;
    }

    /// <summary>One group of a filter (all of its criteria), read with the parameters of the type its <c>_type</c> criterion names, if any.</summary>
    private string Group(IReadOnlyList<SearchCriterion> group)
    {
        if (group.Count == 0)
        {
            return "true";
        }

        var parameters = _searchParameters;
        if (group.FirstOrDefault(c => c.Code == "_type")?.Values is [var type])
        {
            _searchParameters = SearchParameters.For(type);
        }

        var clause = "(" + string.Join(" AND ", group.Select(c => $"({Criterion(c)})")) + ")";
        _searchParameters = parameters;
        return clause;
    }

    private static string SortPath(string code) => code switch
    {
        "_id" => "c.resourceId",
        "_lastUpdated" => "c.lastUpdated",
        _ => $"c.sort[\"{Code(code)}\"]",
    };

    /// <summary>
    /// The project predicate, the only one: the caller's project, or it and each linked project (limited to the types it
    /// exports), named one by one.
    /// </summary>
    private string Projects(string projectId, IReadOnlyList<(string ProjectId, IReadOnlyList<string>? Types)> links)
    {
        var own = ProjectPartition.Predicate(Parameter(projectId));
        return links.Count == 0 ? own
            : "(" + string.Join(" OR ", links.Select(l => l.Types is null
                ? ProjectPartition.Predicate(Parameter(l.ProjectId))
                : $"({ProjectPartition.Predicate(Parameter(l.ProjectId))} AND ARRAY_CONTAINS({Parameter(l.Types.ToArray())}, c.resourceType))").Prepend(own)) + ")";
    }

    private string Parameter(object? value)
    {
        var name = "@p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return name;
    }

    /// <summary>The path of an entry's <paramref name="key"/> on the entry alias <c>t</c> (<c>is</c>, a keyword, by bracket).</summary>
    private static string T(string key) => key == E.IdentifierSystem ? $"t[\"{key}\"]" : $"t.{key}";

    private static string Code(string code) =>
        PlainCode().IsMatch(code) ? code : throw new ArgumentException($"'{code}' is not a search parameter code.", nameof(code));

    private string Criterion(SearchCriterion criterion)
    {
        if (criterion.Chain is not null)
        {
            throw new ArgumentException("Chains are resolved before a query is built.", nameof(criterion));
        }

        var entries = $"c.idx[\"{Code(criterion.Code)}\"]";
        if (criterion.Modifier == "missing")
        {
            var missing = criterion.Values.Any(v => v == "true");
            return criterion.Code switch
            {
                "_id" or "_lastUpdated" => missing ? "false" : "true",
                "_compartment" => missing ? "ARRAY_LENGTH(c.compartments) = 0 OR NOT IS_DEFINED(c.compartments)" : "ARRAY_LENGTH(c.compartments) > 0",
                _ => missing ? $"NOT IS_DEFINED({entries})" : $"IS_DEFINED({entries})",
            };
        }

        if (criterion.Values.Count == 0)
        {
            return criterion.Modifier == "not" ? "true" : "false";
        }

        var alternatives = criterion.Code switch
        {
            "_id" => criterion.Values.Select(v => $"c.resourceId = {Parameter(v)}"),
            "_type" => [$"ARRAY_CONTAINS({Parameter(criterion.Values.ToArray())}, c.resourceType)"],
            "_lastUpdated" => criterion.Values.Select(v => LastUpdated(v)),
            "_compartment" when criterion.Modifier == "type" => criterion.Values.Select(v => $"EXISTS(SELECT VALUE x FROM x IN c.compartments WHERE STARTSWITH(x, {Parameter(v + "/")}))"),
            "_compartment" => criterion.Values.Select(v => $"ARRAY_CONTAINS(c.compartments, {Parameter(v)})"),
            _ when criterion.Type == SearchParamType.Composite => criterion.Values.Select(v => $"EXISTS(SELECT VALUE t FROM t IN {entries} WHERE {CompositeMatch(criterion.Code, v)})"),
            _ => criterion.Values.Select(v => $"EXISTS(SELECT VALUE t FROM t IN {entries} WHERE {EntryMatch(criterion, v)})"),
        };
        var clause = string.Join(" OR ", alternatives.Select(a => $"({a})"));
        return criterion.Modifier == "not" ? $"NOT ({clause})" : clause;
    }

    private string EntryMatch(SearchCriterion criterion, string value) => criterion.Type switch
    {
        SearchParamType.String => criterion.Modifier switch
        {
            "exact" => $"{T(E.Exact)} = {Parameter(value)}",
            "contains" => $"CONTAINS({T(E.Normalized)}, {Parameter(SearchText.Normalize(value))})",
            _ => $"STARTSWITH({T(E.Normalized)}, {Parameter(SearchText.Normalize(value))})",
        },
        SearchParamType.Token => Token(criterion.Modifier, value),
        SearchParamType.Reference => Reference(criterion.Modifier, value),
        SearchParamType.Date => DateMatch(value, T(E.Low), T(E.High)),
        SearchParamType.Number => NumberMatch(value),
        SearchParamType.Quantity => Quantity(value),
        SearchParamType.Uri => criterion.Modifier switch
        {
            "below" => $"STARTSWITH({T(E.Uri)}, {Parameter(value)})",
            "above" => $"STARTSWITH({Parameter(value)}, {T(E.Uri)})",
            _ => $"{T(E.Uri)} = {Parameter(value)}",
        },
        _ => throw new ArgumentException($"{criterion.Type} parameters are not searchable.", nameof(criterion)),
    };

    /// <summary>Each component's match, on that component of the same entry (<c>t["0"]</c>, <c>t["1"]</c>…).</summary>
    private string CompositeMatch(string code, string value)
    {
        var components = _searchParameters[code].Components;
        var parts = value.Split('$');
        return string.Join(" AND ", parts.Select((part, i) =>
        {
            var match = EntryMatch(new SearchCriterion(code, components[i].Type, null, [part]), part);
            var alias = $"t[\"{i.ToString(CultureInfo.InvariantCulture)}\"]";
            return "(" + match.Replace("t[\"", alias + "[\"", StringComparison.Ordinal).Replace("t.", alias + ".", StringComparison.Ordinal) + ")";
        }));
    }

    private string Token(string? modifier, string value)
    {
        if (modifier == "text")
        {
            return $"STARTSWITH({T(E.Display)}, {Parameter(SearchText.Normalize(value))})";
        }

        if (modifier == "of-type")
        {
            var parts = value.Split('|');
            return $"{T(E.TypeSystem)} = {Parameter(parts[0])} AND {T(E.TypeCode)} = {Parameter(parts[1])} AND {T(E.Code)} = {Parameter(parts[2])}";
        }

        var (system, code, noSystem) = SearchValues.SplitToken(value);
        var conditions = new List<string>();
        if (code is not null)
        {
            conditions.Add($"{T(E.Code)} = {Parameter(code)}");
        }

        if (system is not null)
        {
            conditions.Add($"{T(E.System)} = {Parameter(system)}");
        }
        else if (noSystem)
        {
            conditions.Add($"NOT IS_DEFINED({T(E.System)})");
        }

        return conditions.Count == 0 ? "false" : string.Join(" AND ", conditions);
    }

    private string Reference(string? modifier, string value)
    {
        if (modifier == "identifier")
        {
            var (system, code, _) = SearchValues.SplitToken(value);
            return system is null ? $"{T(E.IdentifierValue)} = {Parameter(code)}" : $"{T(E.IdentifierSystem)} = {Parameter(system)} AND {T(E.IdentifierValue)} = {Parameter(code)}";
        }

        if (LocalReference.TryParse(value, out var type, out var id))
        {
            return $"{T(E.Type)} = {Parameter(type)} AND {T(E.Id)} = {Parameter(id)}";
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out _))
        {
            return $"{T(E.Uri)} = {Parameter(value)}";
        }

        return modifier is null
            ? $"{T(E.Id)} = {Parameter(value)}"
            : $"{T(E.Type)} = {Parameter(modifier)} AND {T(E.Id)} = {Parameter(value)}";
    }

    private string LastUpdated(string value) => DateMatch(value, "c.lastUpdated", "c.lastUpdated");

    /// <summary>
    /// A date prefix against a stored range [lo, hi]; the search value covers [L, H] at its precision (FHIR R4
    /// search 3.1.1.4.1). <c>ap</c> widens the search range by 10% of its distance from now.
    /// </summary>
    private string DateMatch(string value, string lo, string hi)
    {
        var (prefix, text) = SearchValues.SplitPrefix(value);
        if (!DateRange.TryParse(text, out var range))
        {
            throw new ArgumentException($"'{value}' is not a date; the parser should have refused it.", nameof(value));
        }

        if (prefix == SearchPrefix.Ap)
        {
            range = SearchValues.Approximately(range, _now);
        }

        var (low, high) = (range.LowText, range.HighText);

        var l = Parameter(low);
        var h = Parameter(high);
        return prefix switch
        {
            SearchPrefix.Eq => $"{lo} >= {l} AND {hi} <= {h}",
            SearchPrefix.Ne => $"NOT ({lo} >= {l} AND {hi} <= {h})",
            SearchPrefix.Gt => $"{hi} > {h}",
            SearchPrefix.Lt => $"{lo} < {l}",
            SearchPrefix.Ge => $"({hi} > {h} OR ({lo} >= {l} AND {hi} <= {h}))",
            SearchPrefix.Le => $"({lo} < {l} OR ({lo} >= {l} AND {hi} <= {h}))",
            SearchPrefix.Sa => $"{lo} > {h}",
            SearchPrefix.Eb => $"{hi} < {l}",
            _ => $"{lo} <= {h} AND {hi} >= {l}",
        };
    }

    private string NumberMatch(string value)
    {
        var (prefix, text) = SearchValues.SplitPrefix(value);
        if (!SearchValues.TryParseNumber(text, out var number, out var low, out var high))
        {
            throw new ArgumentException($"'{value}' is not a number; the parser should have refused it.", nameof(value));
        }

        return prefix switch
        {
            SearchPrefix.Eq => $"{T(E.Value)} >= {Parameter(low)} AND {T(E.Value)} < {Parameter(high)}",
            SearchPrefix.Ne => $"NOT ({T(E.Value)} >= {Parameter(low)} AND {T(E.Value)} < {Parameter(high)})",
            SearchPrefix.Gt or SearchPrefix.Sa => $"{T(E.Value)} > {Parameter(number)}",
            SearchPrefix.Lt or SearchPrefix.Eb => $"{T(E.Value)} < {Parameter(number)}",
            SearchPrefix.Ge => $"{T(E.Value)} >= {Parameter(number)}",
            SearchPrefix.Le => $"{T(E.Value)} <= {Parameter(number)}",
            _ => $"{T(E.Value)} >= {Parameter(number - (Math.Abs(number) / 10))} AND {T(E.Value)} <= {Parameter(number + (Math.Abs(number) / 10))}",
        };
    }

    private string Quantity(string value)
    {
        var parts = value.Split('|');
        var match = NumberMatch(parts[0]);
        if (parts.Length >= 3 && parts[2].Length > 0)
        {
            match += $" AND ({T(E.Code)} = {Parameter(parts[2])} OR {T(E.Uri)} = {Parameter(parts[2])})";
        }

        if (parts.Length >= 2 && parts[1].Length > 0)
        {
            match += $" AND {T(E.System)} = {Parameter(parts[1])}";
        }

        return match;
    }
}
