using System.Text.Json.Nodes;
using Enclave.Domain.Access;

namespace Enclave.Domain.Tests.Access;

/// <summary>Hidden and read-only fields on JSON: removed at any depth, kept from the stored version on writes.</summary>
public sealed class FieldMaskTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    [Fact]
    public void Remove_reaches_through_arrays_primitive_extensions_and_choice_types()
    {
        var observation = Json("""
            {"resourceType":"Observation","status":"final","statusReason":{"text":"kept"},
             "valueQuantity":{"value":1},"_status":{"id":"x"},
             "component":[{"code":{"text":"a"},"valueString":"secret"},{"code":{"text":"b"},"valueBoolean":true,"_valueBoolean":{"id":"y"}}]}
            """);

        FieldMask.Remove(observation, ["status", "value[x]", "component.value"]);

        Assert.Equal("""
            {"resourceType":"Observation","statusReason":{"text":"kept"},"component":[{"code":{"text":"a"}},{"code":{"text":"b"}}]}
            """.Trim(), observation.ToJsonString());
    }

    [Fact]
    public void Preserve_keeps_nested_fields_the_candidate_changed_or_dropped()
    {
        var stored = Json("""{"resourceType":"Patient","name":[{"family":"Secret","given":["A"]},{"family":"Other","given":["B"]}],"birthDate":"1970-01-01"}""");
        var candidate = Json("""{"resourceType":"Patient","name":[{"given":["A2"]},{"family":"Changed","given":["B2"]}],"gender":"male"}""");

        Assert.Null(FieldMask.Preserve(stored, candidate, ["name.family", "birthDate"]));

        var expected = Json("""
            {"resourceType":"Patient","name":[{"given":["A2"],"family":"Secret"},{"family":"Other","given":["B2"]}],"gender":"male","birthDate":"1970-01-01"}
            """);
        Assert.True(JsonNode.DeepEquals(expected, candidate), candidate.ToJsonString());
    }

    [Fact]
    public void Preserve_refuses_to_drop_an_element_that_holds_a_protected_field_and_strips_new_ones()
    {
        var stored = Json("""{"resourceType":"Patient","name":[{"family":"Secret"}]}""");
        Assert.Equal("name", FieldMask.Preserve(stored, Json("""{"resourceType":"Patient"}"""), ["name.family"]));
        Assert.Equal("name[1]", FieldMask.Preserve(Json("""{"name":[{"given":["A"]},{"family":"Secret"}]}"""), Json("""{"name":[{"given":["A"]}]}"""), ["name.family"]));

        var created = Json("""{"resourceType":"Patient","name":[{"family":"Forged","given":["A"]}],"meta":{"tag":[{"code":"t"}]}}""");
        Assert.Null(FieldMask.Preserve(null, created, ["name.family", "meta.tag"]));
        Assert.Equal("""{"resourceType":"Patient","name":[{"given":["A"]}],"meta":{}}""", created.ToJsonString());
    }

    [Fact]
    public void An_array_element_left_empty_becomes_a_masked_placeholder_that_a_write_turns_back_into_the_stored_element()
    {
        var stored = Json("""{"resourceType":"Patient","address":[{"city":"Hidden"},{"city":"Also","line":["1 Main St"]}],"contact":[{"name":{"family":"X"}}]}""");
        var view = stored.DeepClone().AsObject();

        FieldMask.Remove(view, ["address.city", "contact.name"]);

        const string Masked = """{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]}""";
        Assert.Equal($$"""{"resourceType":"Patient","address":[{{Masked}},{"line":["1 Main St"]}],"contact":[{{Masked}}]}""", view.ToJsonString());
        Assert.True(Enclave.Domain.Fhir.ResourceParser.TryParse(view.ToJsonString(), out _, out _));
        Assert.Null(FieldMask.Preserve(stored, view, ["address.city", "contact.name"]));
        Assert.True(JsonNode.DeepEquals(stored, view), view.ToJsonString());
    }

    [Theory]
    [InlineData("name.family", true)]
    [InlineData("value[x]", true)]
    [InlineData("component.value[x]", true)]
    [InlineData("Name", false)]
    [InlineData("name..family", false)]
    [InlineData("name[0]", false)]
    [InlineData("name.where(use='official')", false)]
    public void Field_paths_are_element_names_separated_by_dots(string path, bool valid) => Assert.Equal(valid, FieldMask.IsPath(path));
}
