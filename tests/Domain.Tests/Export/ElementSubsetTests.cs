using System.Text.Json;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Export;

public sealed class ElementSubsetTests
{
    private const string Observation = """
        {"resourceType":"Observation","id":"o1","meta":{"versionId":"2","tag":[{"system":"urn:x","code":"t"}]},"status":"final","_status":{"extension":[{"url":"urn:e","valueString":"s"}]},
         "code":{"text":"bp"},"subject":{"reference":"Patient/p"},"valueQuantity":{"value":120},"note":[{"text":"secret"}]}
        """;

    [Fact]
    public void Trim_keeps_the_elements_asked_for_with_id_meta_and_mandatory_ones_and_tags_the_resource_subsetted()
    {
        var trimmed = JsonDocument.Parse(ElementSubset.Trim("Observation", Observation, ["value"])).RootElement;

        Assert.Equal(["resourceType", "id", "meta", "status", "_status", "code", "valueQuantity"], trimmed.EnumerateObject().Select(p => p.Name));
        var tags = trimmed.GetProperty("meta").GetProperty("tag").EnumerateArray().Select(t => t.GetProperty("code").GetString()).ToList();
        Assert.Equal(["t", "SUBSETTED"], tags);
        Assert.Equal(ElementSubset.TagSystem, trimmed.GetProperty("meta").GetProperty("tag")[1].GetProperty("system").GetString());
        Assert.Equal("2", trimmed.GetProperty("meta").GetProperty("versionId").GetString());
    }

    [Fact]
    public void Trim_adds_meta_when_there_is_none_and_never_tags_twice()
    {
        var once = ElementSubset.Trim("Patient", """{"resourceType":"Patient","id":"p","name":[{"family":"x"}],"birthDate":"2000-01-01"}""", ["birthDate"]);
        var twice = JsonDocument.Parse(ElementSubset.Trim("Patient", once, ["birthDate"])).RootElement;

        Assert.Equal(["resourceType", "id", "birthDate", "meta"], twice.EnumerateObject().Select(p => p.Name));
        Assert.Single(twice.GetProperty("meta").GetProperty("tag").EnumerateArray());
    }
}
