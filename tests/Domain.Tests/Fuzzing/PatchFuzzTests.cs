using System.Text.Json.Nodes;
using Enclave.Domain.Fhir;
using FsCheck.Fluent;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Fuzzing;

/// <summary>
/// JSON Patch and FHIRPath Patch: any patch document applies or is refused with a reason; nothing throws, and the
/// result, when there is one, passes the strict parser (issue 13 §8).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class PatchFuzzTests
{
    private static readonly string[] s_ops = ["\"add\"", "\"remove\"", "\"replace\"", "\"move\"", "\"copy\"", "\"test\"", "\"jump\"", "5", "null", "[]", "{}", "\"\""];

    private static readonly string[] s_paths =
    [
        "\"/name/0/family\"", "\"/name/-\"", "\"/name/99\"", "\"/name/-1\"", "\"/name/00\"", "\"/birthDate\"", "\"/\"", "\"\"", "\"name\"", "\"/a~1b\"",
        "\"/a~2\"", "\"/extension/0/valueQuantity/value\"", "\"/resourceType\"", "\"/id\"", "\"/meta/versionId\"", "5", "null", "[\"/x\"]",
        "\"/name/0/given/18446744073709551616\"", "\"/contained/0\"",
    ];

    private static readonly string[] s_values =
    [
        "\"x\"", "5", "7.9e28", "1e-400", "null", "true", "[]", "{}", "{\"family\":\"Doe\"}", "\"patient\"", "{\"resourceType\":\"Patient\"}",
        "\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\"><script>x</script></div>\"", "[[[[[[[[[[1]]]]]]]]]]",
    ];

    [Fact]
    public void Json_patch_applies_or_says_why()
    {
        var operation = from op in Gen.Elements(s_ops)
                        from path in Gen.Elements(s_paths)
                        from source in Gen.Elements(s_paths)
                        from value in Gen.Elements(s_values)
                        from shape in Gen.Choose(0, 4)
                        select shape switch
                        {
                            0 => $"{{\"op\":{op},\"path\":{path},\"value\":{value}}}",
                            1 => $"{{\"op\":{op},\"path\":{path},\"from\":{source}}}",
                            2 => $"{{\"op\":{op},\"path\":{path}}}",
                            3 => value,
                            _ => $"{{\"op\":{op},\"op\":{op},\"path\":{path},\"value\":{value}}}",
                        };
        var patch = from count in Gen.Choose(0, 5)
                    from operations in Gen.ListOf(operation, count)
                    from wrap in Gen.Elements(true, true, true, false)
                    select wrap ? "[" + string.Join(',', operations) + "]" : string.Join(',', operations);

        FuzzConfig.Check(Prop.ForAll(patch.ToArbitrary(), text =>
        {
            var ok = JsonPatch.TryApply(JsonNode.Parse(FuzzInputs.ValidPatientJson)!, text, out var result, out var error);
            return ok ? result is not null : result is null && error.Length > 0;
        }));
    }

    private static readonly string[] s_expressions =
    [
        "Patient", "Patient.name", "Patient.name[0]", "Patient.name.family", "Patient.birthDate", "Patient.identifier.where(system='urn:mrn')",
        "Patient.extension('http://example.org/x')", "Patient.name.given[5]", "Patient.contained", "Patient.text.div", "Patient.id", "Patient.meta",
        "", "Patient.", "(", "Patient.name.descendants()", "Patient.repeat(name)", "Patient.aggregate($this)", "1 + ", "%resource",
        "Patient.name.select(family)", "Observation.value", "Patient.nonexistent",
    ];

    private static readonly string[] s_names = ["family", "given", "name", "birthDate", "active", "text", "extension", "resourceType", "", "value"];

    [Fact]
    public void Fhirpath_patch_applies_or_says_why()
    {
        var value = Gen.Elements<DataType?>(
            new FhirString("x"), new Date("2000-01-01"), new FhirBoolean(true), new Integer(-1), new FhirDecimal(79_000_000_000_000_000_000_000_000m),
            new Code("patient"), new HumanName { Family = "Doe" }, new Quantity(1, "kg"), new FhirString("<div>"), null);
        var part = from name in Gen.Elements("type", "path", "name", "value", "index", "source", "destination", "other")
                   from text in Gen.Elements(["add", "insert", "delete", "replace", "move", "nope", .. s_expressions, .. s_names, "0", "-1", "99", "2147483648"])
                   from data in value
                   from asValue in Gen.Elements(false, false, true)
                   select new Parameters.ParameterComponent
                   {
                       Name = name,
                       Value = asValue ? data : name is "index" or "source" or "destination" && int.TryParse(text, out var i) ? new Integer(i) : new FhirString(text),
                   };
        var operation = from count in Gen.Choose(0, 6)
                        from parts in Gen.ListOf(part, count)
                        from name in Gen.Elements("operation", "operation", "operation", "other")
                        select new Parameters.ParameterComponent { Name = name, Part = [.. parts] };
        var patch = from count in Gen.Choose(0, 4)
                    from operations in Gen.ListOf(operation, count)
                    select new Parameters { Parameter = [.. operations] };

        FuzzConfig.Check(Prop.ForAll(patch.ToArbitrary(), parameters =>
        {
            var (patched, refusal) = FhirPathPatch.Applier(parameters)(FuzzInputs.ValidPatientJson);
            return (patched is null) == (refusal is not null) && (refusal is null || refusal.Issue.Count > 0);
        }));
    }
}
