using System.Globalization;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Storage.Tests.Search;

/// <summary>
/// Generates search queries from the data itself: it picks a resource, one of its index entries, and turns the
/// entry into a value of the parameter's type with a random modifier or prefix — so most queries match something
/// and every type, modifier and prefix is exercised. Some queries add a second value (OR) or criterion (AND).
/// </summary>
internal sealed class QueryGenerator(IReadOnlyList<(Resource Resource, DateTimeOffset LastUpdated, ResourceIndex Index)> data, int seed)
{
    private static readonly string[] s_prefixes = ["", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];
    private readonly Random _random = new(seed);
    private readonly Dictionary<string, List<(Resource Resource, DateTimeOffset LastUpdated, ResourceIndex Index)>> _byType =
        data.GroupBy(d => d.Resource.TypeName).ToDictionary(g => g.Key, g => g.ToList());

    /// <summary>What the generated queries exercised, as "type:modifier-or-prefix" labels.</summary>
    public HashSet<string> Covered { get; } = [];

    private readonly Dictionary<string, (Resource Resource, DateTimeOffset LastUpdated, ResourceIndex Index)> _byReference =
        data.ToDictionary(d => $"{d.Resource.TypeName}/{d.Resource.Id}", StringComparer.Ordinal);

    public (string Type, List<KeyValuePair<string, string>> Query) Next()
    {
        if (_random.NextDouble() < 0.12 && Chained() is { } chained)
        {
            return chained;
        }

        if (_random.NextDouble() < 0.06)
        {
            var (any, anyUpdated, anyIndex) = Pick(data);
            var types = _byType.Keys.Where(_ => _random.NextDouble() < 0.4).Append(any.TypeName).Distinct().ToList();
            var common = _random.Next(3) switch
            {
                0 => new KeyValuePair<string, string>("_lastUpdated", Pick(s_prefixes) + DateText(DateRange.Text(anyUpdated))),
                1 when anyIndex.Compartments.Count > 0 => new("_compartment", Pick(anyIndex.Compartments)),
                _ => new("_id", any.Id!),
            };
            Covered.Add("_type");
            return (string.Empty, _random.NextDouble() < 0.8 ? [new("_type", string.Join(',', types)), common] : [common]);
        }

        // A type first, then a resource of it: rare types get as many queries as common ones.
        var ofType = _byType.Values.ElementAt(_random.Next(_byType.Count));
        var (resource, lastUpdated, index) = Pick(ofType);
        var query = new List<KeyValuePair<string, string>> { Criterion(resource, lastUpdated, index) };
        if (_random.NextDouble() < 0.25)
        {
            var (other, otherUpdated, otherIndex) = Pick(ofType);
            query.Add(Criterion(other, otherUpdated, otherIndex));
        }

        if (_random.NextDouble() < 0.2)
        {
            var (other, otherUpdated, otherIndex) = Pick(ofType);
            var extra = Criterion(other, otherUpdated, otherIndex);
            if (extra.Key == query[0].Key && !extra.Key.EndsWith(":missing", StringComparison.Ordinal))
            {
                query[0] = new(query[0].Key, $"{query[0].Value},{extra.Value}");
                Covered.Add("or");
            }
        }

        if (_random.NextDouble() < 0.3)
        {
            var sortable = index.SortKeys.Select(e => e.Key).Where(k => !k.StartsWith('_')).Append("_id").Append("_lastUpdated").ToList();
            var keys = Enumerable.Range(0, _random.Next(1, 3)).Select(_ => (_random.NextDouble() < 0.4 ? "-" : string.Empty) + Pick(sortable)).Distinct().ToList();
            Covered.Add(keys.Count > 1 ? "sort:multi" : "sort");
            if (keys.Any(k => k.StartsWith('-')))
            {
                Covered.Add("sort:desc");
            }

            query.Add(new("_sort", string.Join(',', keys)));
        }

        return (resource.TypeName, query);
    }

    /// <summary>
    /// An access-policy style filter for <paramref name="type"/>: one to three groups, each of zero to two criteria built
    /// from real resources (an empty group lets everything through).
    /// </summary>
    public List<List<KeyValuePair<string, string>>> FilterGroups(string type)
    {
        Covered.Add("filter");
        if (!_byType.TryGetValue(type, out var ofType))
        {
            return [];
        }

        return [.. Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Enumerable.Range(0, _random.Next(0, 3)).Select(_ =>
        {
            var (resource, lastUpdated, index) = Pick(ofType);
            return Criterion(resource, lastUpdated, index);
        }).Where(c => !c.Key.StartsWith("_lastUpdated", StringComparison.Ordinal)).ToList())];
    }

    /// <summary>A chain (<c>subject:Patient.name=…</c>) or a reverse chain (<c>_has:Observation:subject:code=…</c>) built from a real reference.</summary>
    private (string Type, List<KeyValuePair<string, string>> Query)? Chained()
    {
        var (source, _, sourceIndex) = Pick(data);
        var references = sourceIndex.Entries.Where(e => !e.Key.StartsWith('_')).SelectMany(e => e.Value
            .Where(x => x.Reference is { } r && _byReference.ContainsKey(r)).Select(x => (Code: e.Key, Target: x.Reference!))).ToList();
        if (references.Count == 0)
        {
            return null;
        }

        var (code, target) = Pick(references);
        var (targetResource, targetUpdated, targetIndex) = _byReference[target];
        if (_random.NextDouble() < 0.5)
        {
            var inner = Criterion(targetResource, targetUpdated, targetIndex);
            if (inner.Key.Contains('.', StringComparison.Ordinal) || inner.Key.StartsWith("_compartment", StringComparison.Ordinal))
            {
                return null;
            }

            Covered.Add("chain");
            return (source.TypeName, [new($"{code}:{targetResource.TypeName}.{inner.Key}", inner.Value)]);
        }

        var back = Criterion(source, default, sourceIndex);
        if (back.Key.StartsWith("_lastUpdated", StringComparison.Ordinal) || back.Key.StartsWith("_compartment", StringComparison.Ordinal))
        {
            return null;
        }

        Covered.Add("_has");
        return (targetResource.TypeName, [new($"_has:{source.TypeName}:{code}:{back.Key}", back.Value)]);
    }

    private KeyValuePair<string, string> Criterion(Resource resource, DateTimeOffset lastUpdated, ResourceIndex index)
    {
        var roll = _random.NextDouble();
        if (roll < 0.04)
        {
            Covered.Add("_id");
            return new("_id", resource.Id!);
        }

        if (roll < 0.08)
        {
            var prefix = Pick(s_prefixes);
            Covered.Add($"_lastUpdated:{prefix}");
            return new("_lastUpdated", prefix + DateText(DateRange.Text(lastUpdated)));
        }

        if (roll < 0.12 && index.Compartments.Count > 0)
        {
            Covered.Add("_compartment");
            return new("_compartment", Pick(index.Compartments));
        }

        var parameters = SearchParameters.For(resource.TypeName);
        var codes = index.Entries.Select(e => e.Key).ToList();
        if (roll < 0.18)
        {
            var any = SearchParser.TypeParameters(resource.TypeName).ToList();
            var code = Pick(any).Code;
            var missing = _random.NextDouble() < 0.5 ? "true" : "false";
            Covered.Add("missing");
            return new($"{code}:missing", missing);
        }

        var chosen = Pick(codes);
        var type = parameters.TryGetValue(chosen, out var parameter) ? parameter.Type : SearchParser.CommonParameters[chosen];
        var entry = Pick(index.Entries[chosen].ToList());
        return type switch
        {
            SearchParamType.String => StringValue(chosen, entry),
            SearchParamType.Token => TokenValue(chosen, entry),
            SearchParamType.Reference => ReferenceValue(chosen, entry),
            SearchParamType.Date => Labelled("date", chosen, Pick(s_prefixes), DateText(entry.Low!)),
            SearchParamType.Number => Labelled("number", chosen, Pick(s_prefixes), Number(entry)),
            SearchParamType.Quantity => QuantityValue(chosen, entry),
            SearchParamType.Uri => UriValue(chosen, entry),
            SearchParamType.Composite => CompositeValue(chosen, parameter!, entry),
            _ => new("_id", resource.Id!),
        };
    }

    private KeyValuePair<string, string> Labelled(string type, string code, string prefix, string value)
    {
        Covered.Add($"{type}:{prefix}");
        return new(code, prefix + value);
    }

    private KeyValuePair<string, string> StringValue(string code, IndexEntry entry)
    {
        // A comma separates OR values: one inside a name ("Smith, Jones and Co") is sent escaped.
        static string Escaped(string text) => text.Replace(",", "\\,", StringComparison.Ordinal);
        var normalized = entry.Normalized!;
        switch (_random.Next(3))
        {
            case 0:
                Covered.Add("string:exact");
                return new($"{code}:exact", Escaped(entry.Exact!));
            case 1 when normalized.Length > 2:
                Covered.Add("string:contains");
                var start = _random.Next(normalized.Length - 2);
                return new($"{code}:contains", Escaped(normalized.Substring(start, 2)));
            default:
                Covered.Add("string:");
                return new(code, Escaped((entry.Exact!)[..Math.Max(1, Math.Min(normalized.Length, _random.Next(1, 5)))]));
        }
    }

    private KeyValuePair<string, string> TokenValue(string code, IndexEntry entry)
    {
        var system = entry.System;
        var value = entry.Code;
        if (entry.Display is { } text)
        {
            Covered.Add("token:text");
            return new($"{code}:text", text[..Math.Min(text.Length, _random.Next(1, 6))]);
        }

        if (entry.TypeSystem is not null && _random.NextDouble() < 0.5)
        {
            Covered.Add("token:of-type");
            return new($"{code}:of-type", $"{entry.TypeSystem}|{entry.TypeCode}|{value}");
        }

        switch (_random.Next(5))
        {
            case 0 when system is not null:
                Covered.Add("token:system|code");
                return new(code, $"{system}|{value}");
            case 1 when system is not null:
                Covered.Add("token:system|");
                return new(code, $"{system}|");
            case 2:
                Covered.Add("token:not");
                return new($"{code}:not", system is null ? value! : $"{system}|{value}");
            case 3 when system is null:
                Covered.Add("token:|code");
                return new(code, $"|{value}");
            default:
                Covered.Add("token:code");
                return new(code, value!);
        }
    }

    private KeyValuePair<string, string> ReferenceValue(string code, IndexEntry entry)
    {
        if (entry.IdentifierValue is { } identifier)
        {
            Covered.Add("reference:identifier");
            return new($"{code}:identifier", entry.IdentifierSystem is { } system ? $"{system}|{identifier}" : identifier);
        }

        if (entry.Uri is { } url)
        {
            Covered.Add("reference:url");
            return new(code, url);
        }

        switch (_random.Next(3))
        {
            case 0:
                Covered.Add("reference:id");
                return new(code, entry.Id!);
            case 1:
                Covered.Add("reference:type");
                return new($"{code}:{entry.Type}", entry.Id!);
            default:
                Covered.Add("reference:Type/id");
                return new(code, entry.Reference!);
        }
    }

    private KeyValuePair<string, string> QuantityValue(string code, IndexEntry entry)
    {
        var prefix = Pick(s_prefixes);
        var number = Number(entry);
        if (entry.System is { } system && _random.NextDouble() < 0.5)
        {
            Covered.Add("quantity:system|code");
            return new(code, $"{prefix}{number}|{system}|{entry.Code}");
        }

        return Labelled("quantity", code, prefix, number);
    }

    private KeyValuePair<string, string> UriValue(string code, IndexEntry entry)
    {
        var uri = entry.Uri!;
        if (_random.NextDouble() < 0.4 && uri.Length > 8)
        {
            Covered.Add("uri:below");
            return new($"{code}:below", uri[..(uri.Length / 2)]);
        }

        if (_random.NextDouble() < 0.3)
        {
            Covered.Add("uri:above");
            return new($"{code}:above", uri + "/more/specific");
        }

        Covered.Add("uri:");
        return new(code, uri);
    }

    private KeyValuePair<string, string> CompositeValue(string code, Domain.Search.SearchParameter parameter, IndexEntry entry)
    {
        Covered.Add("composite");
        var parts = parameter.Components.Select((component, i) =>
        {
            var part = entry.Components![i];
            return component.Type switch
            {
                SearchParamType.Token => part.Code is null ? $"{part.Display}" : part.System is { } s ? $"{s}|{part.Code}" : part.Code,
                SearchParamType.Quantity => Pick(s_prefixes) + Number(part),
                SearchParamType.Number => Pick(s_prefixes) + Number(part),
                SearchParamType.Date => Pick(s_prefixes) + DateText(part.Low!),
                SearchParamType.Reference => part.Reference ?? part.Uri ?? string.Empty,
                SearchParamType.Uri => part.Uri!,
                _ => part.Exact![..1],
            };
        });
        return new(code, string.Join('$', parts));
    }

    private static string Number(IndexEntry entry) => entry.Value!.Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A date value at a random precision, from a stored bound.</summary>
    private string DateText(string bound) => _random.Next(5) switch
    {
        0 => bound[..4],
        1 => bound[..7],
        2 => bound[..10],
        3 => bound[..19] + "Z",
        _ => bound[..16] + "Z",
    };

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
