using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Fhir;

/// <summary>Malformed FHIRPath Patches are refused with a reason, never an exception.</summary>
public sealed class FhirPathPatchTests
{
    private const string Current = """{"resourceType":"Patient","id":"p","gender":"male","name":[{"family":"A"}]}""";

    private static Parameters Patch(params Parameters.ParameterComponent[] parts) =>
        new() { Parameter = [new Parameters.ParameterComponent { Name = "operation", Part = [.. parts] }] };

    private static Parameters.ParameterComponent Part(string name, DataType value) => new() { Name = name, Value = value };

    public static TheoryData<Parameters, string> Refused => new()
    {
        { Patch(Part("type", new Code("replace")), Part("path", new FhirString("Patient.gender")), Part("value", new Code("female")), Part("value", new Code("other"))), "more than once" },
        { Patch(Part("type", new Code("replace")), Part("type", new Code("delete")), Part("path", new FhirString("Patient.gender"))), "more than once" },
        { Patch(Part("type", new Code("replace")), Part("path", new FhirString("Patient.gender"))), "needs a value" },
        { Patch(Part("path", new FhirString("Patient.gender"))), "type and a path" },
        { Patch(Part("type", new Code("replace"))), "type and a path" },
        { Patch(Part("type", new Integer(5)), Part("path", new FhirString("Patient.gender"))), "type and a path" },
        { Patch(Part("type", new Code("jump")), Part("path", new FhirString("Patient.gender"))), "not an operation type" },
        { Patch(Part("type", new Code("replace")), Part("path", new FhirString("Patient")), Part("value", new Code("x"))), "cannot be replaced" },
        { Patch(Part("type", new Code("insert")), Part("path", new FhirString("Patient.name")), Part("index", new FhirString("x")), Part("value", new HumanName())), "needs an index" },
        { Patch(Part("type", new Code("replace")), Part("path", new FhirString("Patient.gender")), Part("value", new HumanName())), "cannot be put" },
        { Patch(Part("type", new Code("delete")), Part("path", new FhirString(new string('(', 40) + "Patient.gender" + new string(')', 40)))), "nests deeper" },
        { Patch(Part("type", new Code("delete")), Part("path", new FhirString("Patient.gender" + string.Concat(Enumerable.Repeat(" or true", 600))))), "longer than" },
        { Patch(Part("type", new Code("delete")), Part("path", new FhirString("Patient.(("))), "not a FHIRPath expression" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Malformed_operations_are_refused(Parameters patch, string why)
    {
        var (patched, refusal) = FhirPathPatch.Applier(patch)(Current);
        Assert.Null(patched);
        Assert.Contains(why, refusal!.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_patch_applies()
    {
        var (patched, refusal) = FhirPathPatch.Applier(Patch(Part("type", new Code("replace")), Part("path", new FhirString("Patient.gender")), Part("value", new Code("female"))))(Current);
        Assert.Null(refusal);
        Assert.Equal(AdministrativeGender.Female, ((Patient)patched!).Gender);
    }

    [Fact]
    public void A_patch_that_nests_too_deep_is_refused()
    {
        var extension = new Extension("http://example.org/x", new FhirString("deep"));
        for (var i = 0; i < 40; i++)
        {
            extension = new Extension { Url = "http://example.org/x", Extension = [extension] };
        }

        var (patched, refusal) = FhirPathPatch.Applier(Patch(Part("type", new Code("add")), Part("path", new FhirString("Patient")), Part("name", new FhirString("extension")), Part("value", extension)))(Current);
        Assert.Null(patched);
        Assert.True(refusal!.Issue[0].Diagnostics!.Contains("deeper than 64", StringComparison.Ordinal), refusal.Issue[0].Diagnostics);
    }
}
