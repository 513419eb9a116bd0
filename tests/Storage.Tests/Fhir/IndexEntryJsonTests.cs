using System.Text.Json.Nodes;
using Enclave.Domain.Search;
using Enclave.Storage.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Storage.Tests.Fhir;

/// <summary>
/// The stored form of index entries is the one documents have always had: these golden strings were the
/// indexer's own output before entries were typed, so documents written before and after match the same queries.
/// </summary>
public sealed class IndexEntryJsonTests
{
    private static string Stored(ResourceIndex index, string code) => IndexEntryJson.ToIdx(index.Entries)[code]!.ToJsonString();

    [Fact]
    public void An_observation_s_entries_are_stored_with_the_short_keys_in_their_old_order()
    {
        var index = ResourceIndexer.Index(new Observation
        {
            Id = "o1",
            Status = ObservationStatus.Final,
            Subject = new ResourceReference("Patient/p1"),
            Performer = [new ResourceReference("Practitioner/d1"), new ResourceReference("https://elsewhere.example/fhir/Patient/9")],
            Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate", "Pulse"),
            Effective = new FhirDateTime("2024-03"),
            Value = new Quantity(72.5m, "/min", "http://unitsofmeasure.org"),
            Meta = new Meta { Tag = [new Coding("urn:t", "x")], Profile = ["http://example.org/p"] },
        });

        Assert.Equal("""[{"t":"Patient","i":"p1"}]""", Stored(index, "subject"));
        Assert.Equal("""[{"t":"Practitioner","i":"d1"},{"u":"https://elsewhere.example/fhir/Patient/9"}]""", Stored(index, "performer"));
        Assert.Equal("""[{"s":"http://loinc.org","c":"8867-4"},{"d":"heart rate"},{"d":"pulse"}]""", Stored(index, "code"));
        Assert.Equal("""[{"c":"final"}]""", Stored(index, "status"));
        Assert.Equal("""[{"lo":"2024-03-01T00:00:00.0000000Z","hi":"2024-03-31T23:59:59.9999999Z"}]""", Stored(index, "date"));
        Assert.Equal("""[{"v":72.5,"s":"http://unitsofmeasure.org","c":"/min","u":"/min"}]""", Stored(index, "value-quantity"));
        Assert.Equal("""[{"s":"urn:t","c":"x"}]""", Stored(index, "_tag"));
        Assert.Equal("""[{"u":"http://example.org/p"}]""", Stored(index, "_profile"));
        Assert.Equal("""[{"0":{"s":"http://loinc.org","c":"8867-4"},"1":{"v":72.5,"s":"http://unitsofmeasure.org","c":"/min","u":"/min"}},"""
            + """{"0":{"d":"heart rate"},"1":{"v":72.5,"s":"http://unitsofmeasure.org","c":"/min","u":"/min"}},"""
            + """{"0":{"d":"pulse"},"1":{"v":72.5,"s":"http://unitsofmeasure.org","c":"/min","u":"/min"}}]""", Stored(index, "code-value-quantity"));
    }

    [Fact]
    public void A_patient_s_names_identifiers_and_reference_identifiers_keep_their_stored_form()
    {
        var index = ResourceIndexer.Index(new Patient
        {
            Id = "p1",
            Name = [new HumanName { Family = "Müller" }],
            Identifier = [new Identifier("urn:mrn", "123") { Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR") }],
            GeneralPractitioner = [new ResourceReference { Identifier = new Identifier("urn:npi", "9") }],
            Active = true,
        });

        // The document serializer escapes non-ASCII text, as it always has.
        Assert.Equal("""[{"n":"muller","x":"M\u00FCller"}]""", Stored(index, "family"));
        Assert.Equal("""[{"s":"urn:mrn","c":"123","ts":"http://terminology.hl7.org/CodeSystem/v2-0203","tc":"MR"}]""", Stored(index, "identifier"));
        Assert.Equal("""[{"iv":"9","is":"urn:npi"}]""", Stored(index, "general-practitioner"));
        Assert.Equal("""[{"c":"true"}]""", Stored(index, "active"));
    }

    [Fact]
    public void Stored_entries_read_back_to_the_entries_that_were_written()
    {
        var index = ResourceIndexer.Index(new Observation
        {
            Id = "o2",
            Status = ObservationStatus.Final,
            Subject = new ResourceReference("Patient/p1"),
            Code = new CodeableConcept("http://loinc.org", "8867-4", "Heart rate"),
            Value = new Quantity(3m, "mg", "http://unitsofmeasure.org"),
        });

        var stored = IndexEntryJson.ToIdx(index.Entries);
        var read = IndexEntryJson.FromIdx(JsonNode.Parse(stored.ToJsonString())!.AsObject());

        Assert.Equal(index.Entries.Keys, read.Keys);
        Assert.Equal(stored.ToJsonString(), IndexEntryJson.ToIdx(read).ToJsonString());
        Assert.Equal(index.Entries["subject"], read["subject"]);
        Assert.Equal(2, read["code-value-quantity"][0].Components!.Count);
    }
}
