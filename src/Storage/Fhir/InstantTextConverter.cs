using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Enclave.Domain.Search;

namespace Enclave.Storage.Fhir;

/// <summary>
/// Instants as fixed-width UTC text (<see cref="DateRange.Format"/>): Cosmos DB compares strings, and the default
/// JSON form trims trailing zeros of the fraction, which would order "…17.31973Z" after "…17.319731Z".
/// </summary>
internal sealed class InstantTextConverter : JsonConverter<DateTimeOffset>
{
    /// <summary>An instant as stored.</summary>
    public static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(reader.GetString()!);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(DateRange.Text(value));
}
