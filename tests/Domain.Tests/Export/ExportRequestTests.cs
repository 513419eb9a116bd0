using Enclave.Domain.Export;

namespace Enclave.Domain.Tests.Export;

public sealed class ExportRequestTests
{
    private static (ExportRequest? Request, Hl7.Fhir.Model.OperationOutcome? Refusal) Parse(bool lenient, params (string, string)[] parameters) =>
        ExportRequest.Parse(parameters.Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2)), lenient);

    [Fact]
    public void Types_are_merged_once_each_and_since_is_an_instant_with_a_zone()
    {
        var (request, refusal) = Parse(false, ("_type", "Patient,Observation"), ("_type", "Patient"), ("_since", "2026-01-31T12:00:00+01:00"), ("_outputFormat", "ndjson"));

        Assert.Null(refusal);
        Assert.Equal(["Patient", "Observation"], request!.Types);
        Assert.Equal(new DateTimeOffset(2026, 1, 31, 11, 0, 0, TimeSpan.Zero), request.Since);
    }

    [Theory]
    [InlineData("_since", "2026-01-31")]
    [InlineData("_since", "2026-01-31T12:00:00")]
    [InlineData("_outputFormat", "text/csv")]
    [InlineData("_type", "Patients")]
    [InlineData("_typeFilter", "Patient?active=true")]
    [InlineData("_until", "2026-01-31T12:00:00Z")]
    [InlineData("_count", "10")]
    public void A_malformed_unknown_or_unsupported_parameter_is_refused_naming_it(string name, string value)
    {
        var (request, refusal) = Parse(false, (name, value));

        Assert.Null(request);
        Assert.Equal(name, Assert.Single(refusal!.Issue).Expression.Single());
    }

    [Fact]
    public void A_parameter_that_is_given_once_cannot_be_given_twice()
    {
        Assert.NotNull(Parse(false, ("_since", "2026-01-31T12:00:00Z"), ("_since", "2026-02-01T12:00:00Z")).Refusal);
        Assert.NotNull(Parse(true, ("_outputFormat", "ndjson"), ("_outputFormat", "ndjson")).Refusal);
    }

    [Fact]
    public void Lenient_handling_ignores_repeated_and_unknown_parameters_once_each_up_to_a_bound()
    {
        var (request, refusal) = Parse(true, ("patient", string.Empty), ("patient", string.Empty), ("_typeFilter", "Patient?active=true"), ("x", "1"));

        Assert.Null(refusal);
        Assert.Equal(["patient: not at system level", "_typeFilter", "x"], request!.Ignored);
        Assert.NotNull(Parse(true, [.. Enumerable.Range(0, ExportRequest.MaxIgnored + 1).Select(i => ($"p{i}", "1"))]).Refusal);
    }

    [Fact]
    public void Patient_and_group_levels_take_patient_references_and_only_types_of_the_patient_compartment()
    {
        var (request, refusal) = ExportRequest.Parse(
            [new("patient", "Patient/a,Patient/b"), new("patient", "Patient/a"), new("_type", "Observation,Patient")], lenient: false, ExportLevel.Group, "g");

        Assert.Null(refusal);
        Assert.Equal(["a", "b"], request!.Patients);
        Assert.Equal(ExportLevel.Group, request.Level);
        Assert.Equal("g", request.GroupId);
        Assert.Equal(["Observation", "Patient"], request.TypesExported([]));

        Assert.Equal("_type", ExportRequest.Parse([new("_type", "Organization")], false, ExportLevel.Patient).Refusal!.Issue.Single().Expression.Single());
        Assert.NotNull(ExportRequest.Parse([new("patient", "Observation/x")], false, ExportLevel.Patient).Refusal);
        Assert.NotNull(ExportRequest.Parse([new("patient", "Patient/a")], false).Refusal); // not at system level
        Assert.NotNull(ExportRequest.Parse([new("_type", "Organization")], true, ExportLevel.Patient).Refusal); // nothing left to export

        var (lenient, _) = ExportRequest.Parse([new("_type", "Organization,Condition")], true, ExportLevel.Patient);
        Assert.Equal(["Condition"], lenient!.Types);
        Assert.Equal(["_type Organization: not in the Patient compartment"], lenient.Ignored);
        Assert.Contains("Patient", ExportRequest.Parse([], false, ExportLevel.Patient).Request!.TypesExported(["Organization"]));
        Assert.DoesNotContain("Organization", ExportRequest.Parse([], false, ExportLevel.Patient).Request!.TypesExported(["Organization"]));
    }
}
