using System.Globalization;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>
/// Extracts the search index of a resource on write: for every search parameter of its type the FHIRPath
/// expression of <see cref="ModelInfo.SearchParameters"/> is evaluated and each value becomes
/// <see cref="IndexEntry"/>s by type (names and addresses give one string entry per part). The common parameters <c>_tag</c>, <c>_security</c> (tokens), <c>_profile</c> and <c>_source</c> (uris) come
/// from <c>meta</c>. Composite parameters are not indexed separately.
/// </summary>
public static class ResourceIndexer
{
    /// <summary>Builds the index of <paramref name="resource"/>.</summary>
    public static ResourceIndex Index(Resource resource) => Index(resource, null);

    /// <summary>
    /// Builds the part of the index of <paramref name="resource"/> that <paramref name="codes"/> need (all of it when
    /// null): what an access rule's criteria look at, without extracting every other parameter.
    /// </summary>
    public static ResourceIndex Index(Resource resource, IReadOnlySet<string>? codes)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var entries = new Dictionary<string, IReadOnlyList<IndexEntry>>(StringComparer.Ordinal);
        var parameters = SearchParameters.For(resource.TypeName);
        if (codes is null)
        {
            foreach (var parameter in parameters.Values)
            {
                Add(parameter);
            }
        }
        else
        {
            // A lookup per code asked for, not a pass over every parameter of the type: an access decision asks for a few.
            foreach (var code in codes)
            {
                if (parameters.TryGetValue(code, out var parameter))
                {
                    Add(parameter);
                }
            }

            if (codes.Contains("_compartment") && PatientCompartment.Parameters.TryGetValue(resource.TypeName, out var placing))
            {
                foreach (var code in placing)
                {
                    if (!codes.Contains(code) && parameters.TryGetValue(code, out var parameter))
                    {
                        Add(parameter);
                    }
                }
            }
        }

        AddMeta(resource.Meta, entries, codes);
        return new ResourceIndex(entries, Compartments(resource, entries));

        void Add(SearchParameter parameter)
        {
            if (parameter.Type is not SearchParamType.Special && Entries(resource, parameter) is { Count: > 0 } values)
            {
                entries[parameter.Code] = values;
            }
        }
    }

    /// <summary>The index entries of one parameter of <paramref name="resource"/>.</summary>
    public static IReadOnlyList<IndexEntry> Entries(Resource resource, SearchParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(parameter);
        var values = new List<IndexEntry>();
        foreach (var value in CompiledPath.Select(resource, parameter.Expression))
        {
            foreach (var entry in parameter.Type == SearchParamType.Composite ? CompositeEntries(parameter, value) : Entries(parameter.Type, value))
            {
                values.Add(entry);
            }
        }

        return values;
    }

    /// <summary>
    /// A composite's entries: for each element it selects, every combination of its components' entries (in
    /// <see cref="IndexEntry.Components"/>), so both components must match within one element (the code and the value
    /// of one observation component, not of two).
    /// </summary>
    private static IEnumerable<IndexEntry> CompositeEntries(SearchParameter parameter, Base element)
    {
        IEnumerable<IReadOnlyList<IndexEntry>> combinations = [[]];
        foreach (var (type, expression) in parameter.Components)
        {
            var entries = CompiledPath.Select(element, expression).SelectMany(v => Entries(type, v)).ToList();
            combinations = [.. combinations.SelectMany(c => entries.Select(e => (IReadOnlyList<IndexEntry>)[.. c, e]))];
        }

        return combinations.Where(c => c.Count == parameter.Components.Count).Select(c => new IndexEntry { Components = c });
    }

    /// <summary>The meta parameters <paramref name="codes"/> asks for (all when null), each only when meta has values for it.</summary>
    private static void AddMeta(Meta? meta, Dictionary<string, IReadOnlyList<IndexEntry>> entries, IReadOnlySet<string>? codes)
    {
        if (meta is null)
        {
            return;
        }

        AddAll(entries, codes, "_tag", SearchParamType.Token, meta.Tag);
        AddAll(entries, codes, "_security", SearchParamType.Token, meta.Security);
        AddAll(entries, codes, "_profile", SearchParamType.Uri, meta.ProfileElement);
        if (meta.SourceElement is { } source)
        {
            AddAll(entries, codes, "_source", SearchParamType.Uri, [source]);
        }
    }

    private static void AddAll<T>(Dictionary<string, IReadOnlyList<IndexEntry>> entries, IReadOnlySet<string>? codes, string code, SearchParamType type, List<T> values)
        where T : Base
    {
        if (values.Count == 0 || codes?.Contains(code) == false)
        {
            return;
        }

        List<IndexEntry> array = [.. values.SelectMany(v => Entries(type, v))];
        if (array.Count > 0)
        {
            entries[code] = array;
        }
    }

    /// <summary>The accounts in meta, the patient itself, and the patients its compartment parameters name; each once.</summary>
    private static List<string> Compartments(Resource resource, Dictionary<string, IReadOnlyList<IndexEntry>> entries)
    {
        // Loops rather than LINQ: this runs on every policy decision from a resource.
        var compartments = Access.Accounts.Of(resource);
        if (resource is Patient && resource.Id is { } id)
        {
            AddOnce(compartments, $"Patient/{id}");
        }

        if (PatientCompartment.Parameters.TryGetValue(resource.TypeName, out var parameters))
        {
            foreach (var code in parameters)
            {
                if (entries.TryGetValue(code, out var found))
                {
                    foreach (var entry in found)
                    {
                        if (entry is { Type: "Patient", Id: { } patient })
                        {
                            AddOnce(compartments, $"Patient/{patient}");
                        }
                    }
                }
            }
        }

        return compartments;
    }

    private static void AddOnce(List<string> values, string value)
    {
        if (!values.Contains(value, StringComparer.Ordinal))
        {
            values.Add(value);
        }
    }

    /// <summary>The index entries of one value extracted for a parameter of <paramref name="type"/>.</summary>
    public static IEnumerable<IndexEntry> Entries(SearchParamType type, Base value) => type switch
    {
        SearchParamType.String => StringEntries(value),
        SearchParamType.Token => TokenEntries(value),
        SearchParamType.Reference => ReferenceEntries(value),
        SearchParamType.Date => DateEntries(value),
        SearchParamType.Number => NumberEntries(value),
        SearchParamType.Quantity => QuantityEntries(value),
        SearchParamType.Uri => value is PrimitiveType { JsonValue: { } uri } ? [new IndexEntry { Uri = uri.ToString() }] : [],
        _ => [],
    };

    private static IEnumerable<IndexEntry> StringEntries(Base value)
    {
        IEnumerable<string?> texts = value switch
        {
            HumanName name => [name.Family, .. name.Given, .. name.Prefix, .. name.Suffix, name.Text],
            Address address => [.. address.Line, address.City, address.District, address.State, address.PostalCode, address.Country, address.Text],
            PrimitiveType { JsonValue: { } primitive } => [Convert.ToString(primitive, CultureInfo.InvariantCulture)],
            _ => [],
        };
        return texts.Where(t => !string.IsNullOrEmpty(t)).Select(t => new IndexEntry { Normalized = SearchText.Normalize(t!), Exact = t });
    }

    private static IEnumerable<IndexEntry> TokenEntries(Base value)
    {
        switch (value)
        {
            case Coding coding:
                yield return Token(coding.System, coding.Code);
                if (!string.IsNullOrEmpty(coding.Display))
                {
                    yield return new IndexEntry { Display = SearchText.Normalize(coding.Display) };
                }

                break;
            case CodeableConcept concept:
                foreach (var entry in concept.Coding.SelectMany(TokenEntries))
                {
                    yield return entry;
                }

                if (!string.IsNullOrEmpty(concept.Text))
                {
                    yield return new IndexEntry { Display = SearchText.Normalize(concept.Text) };
                }

                break;
            case Identifier identifier:
                var token = Token(identifier.System, identifier.Value);
                yield return identifier.Type?.Coding.FirstOrDefault() is { } typeCoding
                    ? token with { TypeSystem = typeCoding.System, TypeCode = typeCoding.Code }
                    : token;
                if (!string.IsNullOrEmpty(identifier.Type?.Text))
                {
                    yield return new IndexEntry { Display = SearchText.Normalize(identifier.Type.Text) };
                }

                break;
            case ContactPoint contact when contact.Value is not null:
                yield return Token(null, contact.Value);
                break;
            case FhirBoolean { Value: { } flag }:
                yield return Token(null, flag ? "true" : "false");
                break;
            case PrimitiveType { JsonValue: { } primitive }:
                yield return Token(null, Convert.ToString(primitive, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static IndexEntry Token(string? system, string? code) => new() { System = system, Code = code };

    private static IEnumerable<IndexEntry> ReferenceEntries(Base value)
    {
        switch (value)
        {
            case ResourceReference reference:
                if (reference.Reference is { Length: > 0 } text && !text.StartsWith('#'))
                {
                    yield return ReferenceEntry(text);
                }

                if (reference.Identifier is { Value: not null } identifier)
                {
                    yield return new IndexEntry { IdentifierValue = identifier.Value, IdentifierSystem = identifier.System };
                }

                break;
            case PrimitiveType { JsonValue: { } uri }:
                yield return ReferenceEntry(uri.ToString()!);
                break;
        }
    }

    /// <summary>A relative <c>Type/id</c> (a version suffix dropped) gives its type and id; anything else is a <see cref="IndexEntry.Uri"/>.</summary>
    public static IndexEntry ReferenceEntry(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return LocalReference.TryParse(reference, out var type, out var id)
            ? new IndexEntry { Type = type, Id = id }
            : new IndexEntry { Uri = reference };
    }

    private static IEnumerable<IndexEntry> DateEntries(Base value)
    {
        (string? Low, string? High) bounds = value switch
        {
            Period period => (Bound(period.Start, low: true) ?? DateRange.Text(DateRange.Min),
                Bound(period.End, low: false) ?? DateRange.Text(DateRange.Max)),
            Timing timing => TimingBounds(timing),
            PrimitiveType { JsonValue: { } primitive } => (Bound(Convert.ToString(primitive, CultureInfo.InvariantCulture), true),
                Bound(Convert.ToString(primitive, CultureInfo.InvariantCulture), false)),
            _ => (null, null),
        };
        return bounds is { Low: { } lo, High: { } hi } ? [new IndexEntry { Low = lo, High = hi }] : [];
    }

    private static (string?, string?) TimingBounds(Timing timing)
    {
        var events = timing.EventElement.Select(e => e.Value).Where(e => e is not null).ToList();
        if (events.Count > 0)
        {
            return (events.Select(e => Bound(e, true)).Min(StringComparer.Ordinal), events.Select(e => Bound(e, false)).Max(StringComparer.Ordinal));
        }

        return timing.Repeat?.Bounds is Period bounds ? (Bound(bounds.Start, true), Bound(bounds.End, false)) : (null, null);
    }

    private static string? Bound(string? text, bool low) =>
        DateRange.TryParse(text, out var range) ? (low ? range.LowText : range.HighText) : null;

    private static IEnumerable<IndexEntry> NumberEntries(Base value) =>
        value is PrimitiveType { JsonValue: { } number } && TryDecimal(number, out var d) ? [new IndexEntry { Value = d }] : [];

    private static IEnumerable<IndexEntry> QuantityEntries(Base value)
    {
        switch (value)
        {
            case Quantity { Value: { } amount } quantity:
                yield return new IndexEntry { Value = amount, System = quantity.System, Code = quantity.Code, Uri = quantity.Unit };
                break;
            case Money { Value: { } money } m:
                yield return new IndexEntry { Value = money, System = "urn:iso:std:iso:4217", Code = m.Currency?.ToString() };
                break;
        }
    }

    private static bool TryDecimal(object value, out decimal result)
    {
        switch (value)
        {
            case decimal d:
                result = d;
                return true;
            case int i:
                result = i;
                return true;
            case long l:
                result = l;
                return true;
            default:
                return decimal.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture, out result);
        }
    }
}
