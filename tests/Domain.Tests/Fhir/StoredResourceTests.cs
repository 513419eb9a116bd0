using System.Text;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Fhir;

public sealed class StoredResourceTests
{
    private static StoredResource Of(string json) => new("Patient", "p1", 1, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), false, json, string.Empty);

    [Fact]
    public void Its_UTF8_bytes_are_the_JSON_encoded()
    {
        const string Json = """{"resourceType":"Patient","id":"p1","name":[{"family":"Müller 😀"}]}""";

        Assert.Equal(Encoding.UTF8.GetBytes(Json), Of(Json).Utf8Json.ToArray());
    }

    [Fact]
    public void A_lone_surrogate_is_refused_rather_than_stored_as_a_replacement_character()
    {
        var json = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"text\":\"a\uD800b\"}";

        Assert.Throws<EncoderFallbackException>(() => Of(json).Utf8Json);
    }
}
