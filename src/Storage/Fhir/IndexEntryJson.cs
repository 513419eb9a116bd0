using System.Globalization;
using System.Text.Json.Nodes;
using Enclave.Domain.Search;

namespace Enclave.Storage.Fhir;

/// <summary>
/// The one mapping between <see cref="IndexEntry"/> and its form in a document's <c>idx</c>: short keys, only the set
/// ones, in the order documents have always had them (<c>{"t":"Patient","i":"p1"}</c>, <c>{"v":72.5,"s":…,"c":…,"u":…}</c>),
/// composite components under <c>"0"</c>, <c>"1"</c>…. The key constants are also the paths the search query names.
/// </summary>
internal static class IndexEntryJson
{
    public const string Value = "v";
    public const string Normalized = "n";
    public const string Exact = "x";
    public const string System = "s";
    public const string Code = "c";
    public const string TypeSystem = "ts";
    public const string TypeCode = "tc";
    public const string Display = "d";
    public const string Type = "t";
    public const string Id = "i";
    public const string Uri = "u";
    public const string IdentifierValue = "iv";

    /// <summary><c>is</c> is a Cosmos SQL keyword: queries must name it as <c>t["is"]</c>.</summary>
    public const string IdentifierSystem = "is";
    public const string Low = "lo";
    public const string High = "hi";

    /// <summary>The document's <c>idx</c>: parameter code → array of entries.</summary>
    public static JsonObject ToIdx(IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var idx = new JsonObject();
        foreach (var (code, values) in entries)
        {
            idx[code] = new JsonArray([.. values.Select(ToJson)]);
        }

        return idx;
    }

    /// <summary>One entry as stored.</summary>
    public static JsonObject ToJson(IndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var json = new JsonObject();
        if (entry.Value is { } value)
        {
            json[Value] = value;
        }

        foreach (var (key, text) in Texts(entry))
        {
            if (text is not null)
            {
                json[key] = text;
            }
        }

        for (var i = 0; i < (entry.Components?.Count ?? 0); i++)
        {
            json[i.ToString(CultureInfo.InvariantCulture)] = ToJson(entry.Components![i]);
        }

        return json;
    }

    /// <summary>A stored <c>idx</c> read back (documents written by every version of Enclave have this shape).</summary>
    public static Dictionary<string, IReadOnlyList<IndexEntry>> FromIdx(JsonObject idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        return idx.ToDictionary(p => p.Key, p => (IReadOnlyList<IndexEntry>)[.. (p.Value?.AsArray() ?? []).OfType<JsonObject>().Select(FromJson)],
            StringComparer.Ordinal);
    }

    /// <summary>A stored entry read back.</summary>
    public static IndexEntry FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        string? Text(string key) => json[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var components = new List<IndexEntry>();
        while (json[components.Count.ToString(CultureInfo.InvariantCulture)] is JsonObject component)
        {
            components.Add(FromJson(component));
        }

        return new IndexEntry
        {
            Value = json[Value] is JsonValue v && v.TryGetValue<decimal>(out var d) ? d : null,
            Normalized = Text(Normalized),
            Exact = Text(Exact),
            System = Text(System),
            Code = Text(Code),
            TypeSystem = Text(TypeSystem),
            TypeCode = Text(TypeCode),
            Display = Text(Display),
            Type = Text(Type),
            Id = Text(Id),
            Uri = Text(Uri),
            IdentifierValue = Text(IdentifierValue),
            IdentifierSystem = Text(IdentifierSystem),
            Low = Text(Low),
            High = Text(High),
            Components = components.Count > 0 ? components : null,
        };
    }

    private static IEnumerable<(string Key, string? Text)> Texts(IndexEntry e) =>
    [
        (Normalized, e.Normalized), (Exact, e.Exact), (System, e.System), (Code, e.Code), (TypeSystem, e.TypeSystem), (TypeCode, e.TypeCode),
        (Display, e.Display), (Type, e.Type), (Id, e.Id), (Uri, e.Uri), (IdentifierValue, e.IdentifierValue), (IdentifierSystem, e.IdentifierSystem),
        (Low, e.Low), (High, e.High),
    ];
}
