using System.Text.Json;
using System.Text.Json.Serialization;

namespace Enclave.Storage.Fhir;

/// <summary>
/// Writes UTF-8 JSON bytes into a document as the value they are, not parsed into a tree and written again. They are
/// always the serializer's or Cosmos DB's own output, so they are not checked again (as <c>BundleJson</c> and
/// <c>BackupLine</c> write them); documents are read back by <see cref="StoredResourceReader"/>, never through the serializer.
/// </summary>
internal sealed class RawJsonConverter : JsonConverter<ReadOnlyMemory<byte>>
{
    public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("A resource document's JSON is written, never read back through the serializer.");

    public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Span, skipInputValidation: true);
}
