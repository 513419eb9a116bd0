using System.Collections.Frozen;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>The R4 search parameters of every resource type, from <see cref="ModelInfo.SearchParameters"/>.</summary>
public static class SearchParameters
{
    private static readonly FrozenDictionary<string, FrozenDictionary<string, SearchParameter>> s_byType = Build();

    /// <summary>The parameters of <paramref name="resourceType"/> by code (empty for an unknown type).</summary>
    public static IReadOnlyDictionary<string, SearchParameter> For(string resourceType) =>
        s_byType.TryGetValue(resourceType, out var parameters) ? parameters : FrozenDictionary<string, SearchParameter>.Empty;

    private static FrozenDictionary<string, FrozenDictionary<string, SearchParameter>> Build()
    {
        var byUrl = ModelInfo.SearchParameters.Where(p => p.Url is not null).GroupBy(p => p.Url!).ToDictionary(g => g.Key, g => g.First().Type, StringComparer.Ordinal);
        return ModelInfo.SearchParameters
            .Where(p => p.Resource is not null && p.Name is not null && ModelInfo.IsKnownResource(p.Resource))
            .Select(p =>
            {
                var expression = Narrow(p.Expression ?? string.Empty, p.Resource!);
                return new SearchParameter(p.Resource!, p.Name!, p.Type, expression, Targets(expression, [.. (p.Target ?? []).Select(t => t.ToString())]))
                {
                    Components = p.Type == SearchParamType.Composite
                        ? [.. (p.Component ?? []).Select(c => (byUrl.TryGetValue(c.Definition ?? string.Empty, out var type) ? type : SearchParamType.Special, c.Expression ?? string.Empty))]
                        : [],
                };
            })
            .Where(p => p.Expression.Length > 0 && (p.Type != SearchParamType.Composite || (p.Components.Count > 0 && p.Components.All(c => c.Type is not (SearchParamType.Composite or SearchParamType.Special)))))
            .GroupBy(p => p.ResourceType, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.GroupBy(p => p.Code, StringComparer.Ordinal).ToFrozenDictionary(c => c.Key, c => c.First(), StringComparer.Ordinal), StringComparer.Ordinal);
    }

    /// <summary>
    /// The types a reference parameter can point at from this resource type: when every branch of its expression ends in
    /// <c>where(resolve() is T)</c>, only those T. Shared definitions list the targets of all their resources
    /// (<c>clinical-patient</c> lists Group for some), but on Observation <c>patient</c> reaches only a Patient, so
    /// <c>patient.family</c> needs no type (search.html §chaining).
    /// </summary>
    private static string[] Targets(string expression, string[] declared)
    {
        var resolved = SplitUnion(expression)
            .Select(b => System.Text.RegularExpressions.Regex.Match(b, @"\.where\(resolve\(\) is (\w+)\)\)?\s*$"))
            .ToList();
        return resolved.Count > 0 && resolved.All(m => m.Success)
            ? [.. resolved.Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).Where(t => declared.Length == 0 || declared.Contains(t, StringComparer.Ordinal))]
            : declared;
    }

    /// <summary>Keeps the branches of a union expression that start at <paramref name="type"/>.</summary>
    internal static string Narrow(string expression, string type)
    {
        var branches = SplitUnion(expression)
            .Where(b => StartsAt(b, type))
            .ToList();
        return string.Join(" | ", branches);
    }

    private static bool StartsAt(string branch, string type)
    {
        var text = branch.TrimStart('(', ' ');
        return text.StartsWith(type + ".", StringComparison.Ordinal) || text == type || text.StartsWith(type + " ", StringComparison.Ordinal);
    }

    /// <summary>Splits on the <c>|</c> operators that are not inside parentheses or string literals.</summary>
    private static IEnumerable<string> SplitUnion(string expression)
    {
        var depth = 0;
        var inString = false;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'' && (i == 0 || expression[i - 1] != '\\'))
            {
                inString = !inString;
            }
            else if (!inString && c == '(')
            {
                depth++;
            }
            else if (!inString && c == ')')
            {
                depth--;
            }
            else if (!inString && depth == 0 && c == '|')
            {
                yield return expression[start..i].Trim();
                start = i + 1;
            }
        }

        yield return expression[start..].Trim();
    }
}
