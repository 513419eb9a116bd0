using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>
/// Evaluates a <see cref="SearchRequest"/> against resources in memory: the same index extraction as writes
/// (<see cref="ResourceIndexer"/>, FHIRPath over the POCO), matched in C#. It is what access policies evaluate on
/// writes, and the oracle the Cosmos translation is tested against: for any request both must return the same
/// resources in the same order.
/// </summary>
public static class InMemorySearch
{
    /// <summary>
    /// Whether <paramref name="resource"/> (last written at <paramref name="lastUpdated"/>) matches every criterion;
    /// <paramref name="now"/> is what <c>ap</c> dates are near.
    /// </summary>
    public static bool Matches(SearchRequest request, Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now, ResourceIndex? index = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(resource);
        if (!request.Covers(resource.TypeName))
        {
            return false;
        }

        index ??= ResourceIndexer.Index(resource);
        var parameters = SearchParameters.For(request.IsSystemSearch ? resource.TypeName : request.ResourceType);
        if (!All(request.Criteria, resource, lastUpdated, now, index, parameters))
        {
            return false;
        }

        if (request.Filter is null)
        {
            return true;
        }

        foreach (var group in request.Filter)
        {
            if (All(group, resource, lastUpdated, now, index, parameters))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether every criterion matches (loops, not LINQ: an access decision on a write runs this per rule).</summary>
    private static bool All(IReadOnlyList<SearchCriterion> criteria, Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now, ResourceIndex index,
        IReadOnlyDictionary<string, SearchParameter> parameters)
    {
        foreach (var criterion in criteria)
        {
            if (!Matches(criterion, resource, lastUpdated, now, index, parameters))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Resolves the chains of <paramref name="request"/> against <paramref name="universe"/> (see <see cref="ChainResolver"/>).</summary>
    public static System.Threading.Tasks.Task<(SearchRequest? Request, OperationOutcome? Refusal)> ResolveAsync(SearchRequest request,
        IReadOnlyList<(Resource Resource, DateTimeOffset LastUpdated, ResourceIndex Index)> universe, DateTimeOffset now) =>
        ChainResolver.ResolveAsync(request, (inner, code, limit) =>
        {
            var matches = universe.Where(d => Matches(inner, d.Resource, d.LastUpdated, now, d.Index));
            IReadOnlyList<string> found = code is null
                ? [.. matches.Select(d => $"{d.Resource.TypeName}/{d.Resource.Id}").Take(limit)]
                : [.. matches.SelectMany(d => d.Index.Of(code)).Select(e => e.Reference).OfType<string>().Distinct(StringComparer.Ordinal).Take(limit)];
            return System.Threading.Tasks.Task.FromResult(found);
        });

    /// <summary>
    /// Orders matches as the database does: by the <c>_sort</c> keys (Cosmos DB's value order), ties by last update
    /// in the first key's direction; newest first without <c>_sort</c>.
    /// </summary>
    public static IEnumerable<T> Order<T>(SearchRequest request, IEnumerable<T> items, Func<T, (Resource Resource, DateTimeOffset LastUpdated, ResourceIndex Index)> of)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Sort.Count == 0)
        {
            return items.OrderByDescending(i => of(i).LastUpdated);
        }

        IOrderedEnumerable<T>? ordered = null;
        foreach (var key in request.Sort)
        {
            JsonNode? Key(T item) => key.Code switch
            {
                "_id" => JsonValue.Create(of(item).Resource.Id),
                "_lastUpdated" => JsonValue.Create(DateRange.Text(of(item).LastUpdated)),
                _ => of(item).Index.SortKeys[key.Code],
            };
            ordered = ordered is null
                ? key.Descending ? items.OrderByDescending(Key, SortComparer.Instance) : items.OrderBy(Key, SortComparer.Instance)
                : key.Descending ? ordered.ThenByDescending(Key, SortComparer.Instance) : ordered.ThenBy(Key, SortComparer.Instance);
        }

        return request.Sort[0].Descending ? ordered!.ThenByDescending(i => of(i).LastUpdated) : ordered!.ThenBy(i => of(i).LastUpdated);
    }

    private static bool Matches(SearchCriterion criterion, Resource resource, DateTimeOffset lastUpdated, DateTimeOffset now, ResourceIndex index,
        IReadOnlyDictionary<string, SearchParameter> parameters)
    {
        var entries = index.Of(criterion.Code);
        if (criterion.Modifier == "missing")
        {
            var missing = criterion.Values.Any(v => v == "true");
            var present = criterion.Code switch
            {
                "_id" or "_lastUpdated" => true,
                "_compartment" => index.Compartments.Count > 0,
                _ => entries.Count > 0,
            };
            return missing != present;
        }

        var any = criterion.Code switch
        {
            "_id" => criterion.Values.Contains(resource.Id),
            "_type" => criterion.Values.Contains(resource.TypeName),
            "_lastUpdated" => criterion.Values.Any(v => DateMatches(v, DateRange.Text(lastUpdated), DateRange.Text(lastUpdated), now)),
            "_compartment" when criterion.Modifier == "type" => criterion.Values.Any(v => index.Compartments.Any(c => c.StartsWith(v + "/", StringComparison.Ordinal))),
            "_compartment" => AnyIn(criterion.Values, index.Compartments),
            _ when criterion.Type == SearchParamType.Composite => criterion.Values.Any(v => entries.Any(e => v.Split('$').Select((part, i) =>
                e.Components is { } components && i < components.Count && components[i] is var component
                && EntryMatches(new SearchCriterion(criterion.Code, parameters[criterion.Code].Components[i].Type, null, [part]), part, component, now)).All(m => m))),
            _ => AnyEntryMatches(criterion, entries, now),
        };
        return criterion.Modifier == "not" ? !any : any;
    }

    // The two common cases as loops, not nested LINQ closures: an access decision on a write runs them per criterion.
    private static bool AnyEntryMatches(SearchCriterion criterion, IReadOnlyList<IndexEntry> entries, DateTimeOffset now)
    {
        foreach (var value in criterion.Values)
        {
            foreach (var entry in entries)
            {
                if (EntryMatches(criterion, value, entry, now))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool AnyIn(IReadOnlyList<string> values, IReadOnlyList<string> compartments)
    {
        foreach (var value in values)
        {
            foreach (var compartment in compartments)
            {
                if (string.Equals(value, compartment, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool EntryMatches(SearchCriterion criterion, string value, IndexEntry e, DateTimeOffset now) => criterion.Type switch
    {
        SearchParamType.String => criterion.Modifier switch
        {
            "exact" => e.Exact == value,
            "contains" => e.Normalized?.Contains(SearchText.Normalize(value), StringComparison.Ordinal) == true,
            _ => e.Normalized?.StartsWith(SearchText.Normalize(value), StringComparison.Ordinal) == true,
        },
        SearchParamType.Token => TokenMatches(criterion.Modifier, value, e),
        SearchParamType.Reference => ReferenceMatches(criterion.Modifier, value, e),
        SearchParamType.Date => e is { Low: { } lo, High: { } hi } && DateMatches(value, lo, hi, now),
        SearchParamType.Number => e.Value is { } n && NumberMatches(value, n),
        SearchParamType.Quantity => QuantityMatches(value, e),
        SearchParamType.Uri => e.Uri is { } u && criterion.Modifier switch
        {
            "below" => u.StartsWith(value, StringComparison.Ordinal),
            "above" => value.StartsWith(u, StringComparison.Ordinal),
            _ => u == value,
        },
        _ => false,
    };

    private static bool TokenMatches(string? modifier, string value, IndexEntry e)
    {
        if (modifier == "text")
        {
            return e.Display?.StartsWith(SearchText.Normalize(value), StringComparison.Ordinal) == true;
        }

        if (modifier == "of-type")
        {
            var parts = value.Split('|');
            return e.TypeSystem == parts[0] && e.TypeCode == parts[1] && e.Code == parts[2];
        }

        var (system, code, noSystem) = SearchValues.SplitToken(value);
        if (code is null && system is null)
        {
            return false;
        }

        return (code is null || e.Code == code)
            && (system is not null ? e.System == system : !noSystem || e.System is null);
    }

    private static bool ReferenceMatches(string? modifier, string value, IndexEntry e)
    {
        if (modifier == "identifier")
        {
            var (system, code, _) = SearchValues.SplitToken(value);
            return e.IdentifierValue == code && (system is null || e.IdentifierSystem == system);
        }

        if (LocalReference.TryParse(value, out var type, out var id))
        {
            return e.Type == type && e.Id == id;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out _))
        {
            return e.Uri == value;
        }

        return e.Id == value && (modifier is null || e.Type == modifier);
    }

    private static bool DateMatches(string value, string lo, string hi, DateTimeOffset now)
    {
        var (prefix, text) = SearchValues.SplitPrefix(value);
        if (!DateRange.TryParse(text, out var range))
        {
            return false;
        }

        if (prefix == SearchPrefix.Ap)
        {
            range = SearchValues.Approximately(range, now);
        }

        var (l, h) = (range.LowText, range.HighText);
        static int C(string a, string b) => string.CompareOrdinal(a, b);
        var within = C(lo, l) >= 0 && C(hi, h) <= 0;
        return prefix switch
        {
            SearchPrefix.Eq => within,
            SearchPrefix.Ne => !within,
            SearchPrefix.Gt => C(hi, h) > 0,
            SearchPrefix.Lt => C(lo, l) < 0,
            SearchPrefix.Ge => C(hi, h) > 0 || within,
            SearchPrefix.Le => C(lo, l) < 0 || within,
            SearchPrefix.Sa => C(lo, h) > 0,
            SearchPrefix.Eb => C(hi, l) < 0,
            _ => C(lo, h) <= 0 && C(hi, l) >= 0,
        };
    }

    private static bool NumberMatches(string value, decimal n)
    {
        var (prefix, text) = SearchValues.SplitPrefix(value);
        if (!SearchValues.TryParseNumber(text, out var number, out var low, out var high))
        {
            return false;
        }

        return prefix switch
        {
            SearchPrefix.Eq => n >= low && n < high,
            SearchPrefix.Ne => !(n >= low && n < high),
            SearchPrefix.Gt or SearchPrefix.Sa => n > number,
            SearchPrefix.Lt or SearchPrefix.Eb => n < number,
            SearchPrefix.Ge => n >= number,
            SearchPrefix.Le => n <= number,
            _ => n >= number - (Math.Abs(number) / 10) && n <= number + (Math.Abs(number) / 10),
        };
    }

    private static bool QuantityMatches(string value, IndexEntry e)
    {
        var parts = value.Split('|');
        return e.Value is { } n && NumberMatches(parts[0], n)
            && (parts.Length < 3 || parts[2].Length == 0 || e.Code == parts[2] || e.Uri == parts[2])
            && (parts.Length < 2 || parts[1].Length == 0 || e.System == parts[1]);
    }
}
