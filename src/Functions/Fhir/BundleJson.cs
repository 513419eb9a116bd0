using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Enclave.Functions.Fhir;

/// <summary>
/// Writes searchset and history Bundles straight from stored JSON: each resource's text goes into the Bundle as a
/// raw value, never parsed into a DOM and written back. URLs keep their <c>&amp;</c> (the answer is JSON, never HTML).
/// </summary>
internal sealed class BundleJson(string type)
{
    private readonly List<(string Relation, string Url)> _links = [];
    private readonly List<Action<Utf8JsonWriter>> _entries = [];

    public int? Total { get; set; }

    public BundleJson Link(string relation, string url)
    {
        _links.Add((relation, url));
        return this;
    }

    /// <summary>Adds an entry: its fullUrl, the stored resource's UTF-8 JSON (empty for none), and the entry's other members.</summary>
    public BundleJson Entry(string? fullUrl, ReadOnlyMemory<byte> resourceJson, Action<Utf8JsonWriter>? members = null)
    {
        _entries.Add(writer =>
        {
            writer.WriteStartObject();
            if (fullUrl is not null)
            {
                writer.WriteString("fullUrl", fullUrl);
            }

            if (resourceJson.Length > 0)
            {
                writer.WritePropertyName("resource");
                writer.WriteRawValue(resourceJson.Span, skipInputValidation: true);
            }

            members?.Invoke(writer);
            writer.WriteEndObject();
        });
        return this;
    }

    /// <summary>The Bundle's UTF-8 JSON, as an answer sends it.</summary>
    public ReadOnlyMemory<byte> ToUtf8()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("resourceType", "Bundle");
            writer.WriteString("type", type);
            if (Total is { } total)
            {
                writer.WriteNumber("total", total);
            }

            writer.WriteStartArray("link");
            foreach (var (relation, url) in _links)
            {
                writer.WriteStartObject();
                writer.WriteString("relation", relation);
                writer.WriteString("url", url);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (_entries.Count > 0)
            {
                writer.WriteStartArray("entry");
                foreach (var entry in _entries)
                {
                    entry(writer);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
