using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Search;

public sealed class ResourceIndexerTests
{
    [Fact]
    public void Every_patient_compartment_parameter_is_a_reference_parameter_of_its_type()
    {
        foreach (var (type, codes) in PatientCompartment.Parameters)
        {
            Assert.True(ModelInfo.IsKnownResource(type), type);
            foreach (var code in codes)
            {
                Assert.True(SearchParameters.For(type).TryGetValue(code, out var parameter), $"{type}.{code}");
                Assert.Equal(SearchParamType.Reference, parameter.Type);
            }
        }
    }

    [Fact]
    public void Shared_expressions_are_narrowed_to_the_type()
    {
        var code = SearchParameters.For("Observation")["code"];
        Assert.Equal("Observation.code", code.Expression);
        Assert.Equal("(Observation.value as Quantity) | (Observation.value as SampledData)", SearchParameters.For("Observation")["value-quantity"].Expression);
    }

    [Fact]
    public void An_observation_is_indexed_by_type_and_lands_in_its_patients_compartment()
    {
        var observation = new Observation
        {
            Id = "o1",
            Status = ObservationStatus.Final,
            Subject = new ResourceReference("Patient/p1"),
            Performer = [new ResourceReference("Practitioner/d1"), new ResourceReference("https://elsewhere.example/fhir/Patient/9")],
            Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate", "Pulse"),
            Effective = new FhirDateTime("2024-03"),
            Value = new Quantity(72.5m, "/min", "http://unitsofmeasure.org"),
            Meta = new Meta { Tag = [new Coding("urn:t", "x")], Profile = ["http://example.org/p"] },
        };

        var index = ResourceIndexer.Index(observation);

        IndexEntry[] patient = [new() { Type = "Patient", Id = "p1" }];
        Assert.Equal(patient, index.Entries["subject"]);
        Assert.Equal(patient, index.Entries["patient"]);
        Assert.Equal([new() { Type = "Practitioner", Id = "d1" }, new IndexEntry { Uri = "https://elsewhere.example/fhir/Patient/9" }], index.Entries["performer"]);
        Assert.Equal([new() { System = "http://loinc.org", Code = "8867-4" }, new IndexEntry { Display = "heart rate" }, new IndexEntry { Display = "pulse" }], index.Entries["code"]);
        Assert.Equal([new IndexEntry { Code = "final" }], index.Entries["status"]);
        Assert.Equal([new IndexEntry { Low = "2024-03-01T00:00:00.0000000Z", High = "2024-03-31T23:59:59.9999999Z" }], index.Entries["date"]);
        Assert.Equal([new IndexEntry { Value = 72.5m, System = "http://unitsofmeasure.org", Code = "/min", Uri = "/min" }], index.Entries["value-quantity"]);
        Assert.Equal([new IndexEntry { System = "urn:t", Code = "x" }], index.Entries["_tag"]);
        Assert.Equal([new IndexEntry { Uri = "http://example.org/p" }], index.Entries["_profile"]);
        Assert.Equal(["Patient/p1"], index.Compartments);
        Assert.False(index.Entries.ContainsKey("encounter"));
    }

    [Fact]
    public void Names_are_indexed_per_part_without_case_or_accents_and_a_patient_is_in_its_own_compartment()
    {
        var patient = new Patient
        {
            Id = "p1",
            Name = [new HumanName { Family = "Müller", Given = ["Zoë", "Ann"] }],
            BirthDate = "1980-02-29",
            Identifier = [new Identifier("urn:mrn", "123") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR") }],
            Active = true,
        };

        var index = ResourceIndexer.Index(patient);

        Assert.Equal(["muller", "zoe", "ann"], index.Entries["name"].Select(e => e.Normalized));
        Assert.Equal(["Müller", "Zoë", "Ann"], index.Entries["name"].Select(e => e.Exact));
        Assert.Equal([new IndexEntry { Low = "1980-02-29T00:00:00.0000000Z", High = "1980-02-29T23:59:59.9999999Z" }], index.Entries["birthdate"]);
        Assert.Equal([new IndexEntry { System = "urn:mrn", Code = "123", TypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203", TypeCode = "MR" }],
            index.Entries["identifier"]);
        Assert.Equal([new IndexEntry { Code = "true" }], index.Entries["active"]);
        Assert.Equal(["Patient/p1"], index.Compartments);
    }

    [Theory]
    [InlineData("2024", "2024-01-01T00:00:00.0000000Z", "2024-12-31T23:59:59.9999999Z")]
    [InlineData("2024-02-10T10:00:00+02:00", "2024-02-10T08:00:00.0000000Z", "2024-02-10T08:00:00.9999999Z")]
    [InlineData("2024-02-10T10:00:00.5Z", "2024-02-10T10:00:00.5000000Z", "2024-02-10T10:00:00.5999999Z")]
    public void Dates_cover_their_precision(string text, string low, string high)
    {
        Assert.True(DateRange.TryParse(text, out var range));
        Assert.Equal(low, range.LowText);
        Assert.Equal(high, range.HighText);
    }

    [Theory]
    [InlineData("2024-13")]
    [InlineData("2024-02-30")]
    [InlineData("yesterday")]
    public void Impossible_dates_do_not_parse(string text) => Assert.False(DateRange.TryParse(text, out _));
}
