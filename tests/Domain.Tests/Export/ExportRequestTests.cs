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
    [InlineData("_typeFilter", "Patient?_sort=name")]
    [InlineData("_typeFilter", "Patient?_include=Patient:organization")]
    [InlineData("_typeFilter", "Observation?subject.name=x")]
    [InlineData("_typeFilter", "Observation?nonsense=1")]
    [InlineData("_typeFilter", "status=final")]
    [InlineData("_elements", "Observation.code.text")]
    [InlineData("_elements", "Observations.code")]
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
        var (request, refusal) = Parse(true, ("patient", string.Empty), ("patient", string.Empty), ("_typeFilter", "Patient?active=true&_count=5"), ("x", "1"));

        Assert.Null(refusal);
        Assert.Equal(["patient: not at system level", "_typeFilter Patient: _count", "x"], request!.Ignored);
        Assert.Equal([new KeyValuePair<string, string>("active", "true")], Assert.Single(request.TypeFilters).Parameters);
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

    [Fact]
    public void Type_filters_are_split_at_each_query_unescaped_and_must_be_of_a_type_asked_for()
    {
        var (request, refusal) = Parse(false, ("_type", "Observation,Patient"),
            ("_typeFilter", "Observation?status=final&code=a,b,Observation%3Fcategory%3Dvital-signs%26date%3Dge2026-01-01T00%3A00%3A00%2B01%3A00"),
            ("_typeFilter", "Patient?active=true"));

        Assert.Null(refusal);
        Assert.Equal(["Observation", "Observation", "Patient"], request!.TypeFilters.Select(f => f.Type));
        Assert.Equal([new("status", "final"), new KeyValuePair<string, string>("code", "a,b")], request.TypeFilters[0].Parameters);
        Assert.Equal([new("category", "vital-signs"), new KeyValuePair<string, string>("date", "ge2026-01-01T00:00:00+01:00")], request.TypeFilters[1].Parameters);
        Assert.Equal(2, request.FiltersOf("Observation").Count);

        Assert.Equal("_typeFilter", Parse(false, ("_type", "Patient"), ("_typeFilter", "Observation?status=final")).Refusal!.Issue.Single().Expression.Single());
        Assert.NotNull(ExportRequest.Parse([new("_typeFilter", "Organization?name=x")], false, ExportLevel.Patient).Refusal);
        Assert.Empty(ExportRequest.Parse([new("_typeFilter", "Organization?name=x")], true, ExportLevel.Patient).Request!.TypeFilters);
    }

    [Fact]
    public void Elements_apply_to_every_type_or_to_the_type_they_name()
    {
        var (request, refusal) = Parse(false, ("_elements", "Observation.status,subject"), ("_elements", "Patient.birthDate,subject"));

        Assert.Null(refusal);
        Assert.Equal(["status", "subject"], request!.ElementsOf("Observation"));
        Assert.Equal(["subject", "birthDate"], request.ElementsOf("Patient"));
        Assert.Equal(["subject"], request.ElementsOf("Condition"));
        Assert.Empty(Parse(false, ("_elements", "Patient.birthDate")).Request!.ElementsOf("Condition")); // not trimmed
    }
}
