using System.Text.Json;
using Enclave.Domain.Fhir;

namespace Enclave.Storage.Fhir;

/// <summary>
/// Reads resource documents (<see cref="ResourceDocument"/>) from the bytes Cosmos DB answers with, in one forward
/// pass: the fields a <see cref="StoredResource"/> needs, and the <c>resource</c> value as a copy of its bytes. Nothing
/// else is materialised: the search index is skipped, and the resource is never parsed into a DOM.
/// </summary>
internal static class StoredResourceReader
{
    /// <summary>What a read or a query page selects of a resource document: the search index stays in the database.</summary>
    public const string Projection = "SELECT c.resourceType, c.resourceId, c.versionId, c.lastUpdated, c.deleted, c.resource, c._etag";

    /// <summary>The document of a point read.</summary>
    public static async Task<StoredResource> ReadDocumentAsync(Stream content, CancellationToken cancellationToken)
    {
        var bytes = await BytesAsync(content, cancellationToken);
        var reader = new Utf8JsonReader(bytes.Span);
        reader.Read();
        return Read(ref reader, bytes.Span);
    }

    /// <summary>The documents of a query page (<c>{"Documents": [...], ...}</c>).</summary>
    public static async Task<List<StoredResource>> ReadPageAsync(Stream content, CancellationToken cancellationToken)
    {
        var bytes = await BytesAsync(content, cancellationToken);
        var span = bytes.Span;
        var reader = new Utf8JsonReader(span);
        var documents = new List<StoredResource>();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("Documents"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                documents.Add(Read(ref reader, span));
            }
        }

        return documents;
    }

    /// <summary>One document, the reader on its start; leaves the reader on its end.</summary>
    private static StoredResource Read(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A resource document is not an object.");
        }

        string? type = null, id = null, eTag = null, lastUpdated = null, supersededAt = null;
        var (version, deleted) = (0, false);
        byte[] resource = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (name.SequenceEqual("resource"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                resource = buffer[start..((int)reader.TokenStartIndex + 1)].ToArray();
            }
            else if (name.SequenceEqual("resourceType"u8))
            {
                type = reader.GetString();
            }
            else if (name.SequenceEqual("resourceId"u8))
            {
                id = reader.GetString();
            }
            else if (name.SequenceEqual("versionId"u8))
            {
                version = reader.GetInt32();
            }
            else if (name.SequenceEqual("lastUpdated"u8))
            {
                lastUpdated = reader.GetString();
            }
            else if (name.SequenceEqual("deleted"u8))
            {
                deleted = reader.TokenType == JsonTokenType.True;
            }
            else if (name.SequenceEqual("supersededAt"u8) && reader.TokenType == JsonTokenType.String)
            {
                supersededAt = reader.GetString();
            }
            else if (name.SequenceEqual("_etag"u8))
            {
                eTag = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        if (type is null || id is null || lastUpdated is null)
        {
            throw new JsonException("A resource document lacks its type, id or time.");
        }

        return new StoredResource(type, id, version, InstantTextConverter.Parse(lastUpdated),
            deleted, resource, eTag ?? string.Empty)
        { SupersededAt = supersededAt is null ? null : InstantTextConverter.Parse(supersededAt) };
    }

    /// <summary>The answer's bytes: the SDK's own buffer when it has one (no copy), else a copy.</summary>
    private static async Task<ReadOnlyMemory<byte>> BytesAsync(Stream content, CancellationToken cancellationToken)
    {
        if (content is MemoryStream memory && memory.TryGetBuffer(out var segment))
        {
            return segment.AsMemory((int)memory.Position);
        }

        using var copy = new MemoryStream();
        await content.CopyToAsync(copy, cancellationToken);
        return copy.GetBuffer().AsMemory(0, (int)copy.Length);
    }
}
