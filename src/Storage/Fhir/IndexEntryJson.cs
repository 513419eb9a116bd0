using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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

    /// <summary>The document's <c>idx</c>: parameter code → array of entries, as <see cref="Write"/> writes it.</summary>
    public static JsonObject ToIdx(IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, entries);
        }

        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    /// <summary>Writes the document's <c>idx</c>: parameter code → array of entries.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> entries)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entries);
        writer.WriteStartObject();
        foreach (var (code, values) in entries)
        {
            writer.WriteStartArray(code);
            foreach (var entry in values)
            {
                WriteEntry(writer, entry);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>One entry as stored: the value, then the set texts in their fixed order, then the components.</summary>
    private static void WriteEntry(Utf8JsonWriter writer, IndexEntry entry)
    {
        writer.WriteStartObject();
        if (entry.Value is { } value)
        {
            writer.WriteNumber(Value, value);
        }

        Text(writer, Normalized, entry.Normalized);
        Text(writer, Exact, entry.Exact);
        Text(writer, System, entry.System);
        Text(writer, Code, entry.Code);
        Text(writer, TypeSystem, entry.TypeSystem);
        Text(writer, TypeCode, entry.TypeCode);
        Text(writer, Display, entry.Display);
        Text(writer, Type, entry.Type);
        Text(writer, Id, entry.Id);
        Text(writer, Uri, entry.Uri);
        Text(writer, IdentifierValue, entry.IdentifierValue);
        Text(writer, IdentifierSystem, entry.IdentifierSystem);
        Text(writer, Low, entry.Low);
        Text(writer, High, entry.High);
        for (var i = 0; i < (entry.Components?.Count ?? 0); i++)
        {
            writer.WritePropertyName(i.ToString(CultureInfo.InvariantCulture));
            WriteEntry(writer, entry.Components![i]);
        }

        writer.WriteEndObject();
    }

    private static void Text(Utf8JsonWriter writer, string key, string? text)
    {
        if (text is not null)
        {
            writer.WriteString(key, text);
        }
    }

    /// <summary>Writes a document's <c>idx</c> straight from the entries (documents are read back by <see cref="StoredResourceReader"/>, which skips it).</summary>
    internal sealed class Converter : JsonConverter<IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>>>
    {
        public override IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("A document's idx is written, never read back through the serializer.");

        public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> value, JsonSerializerOptions options) =>
            IndexEntryJson.Write(writer, value);
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
}
