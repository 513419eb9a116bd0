using System.Text.Json.Nodes;
using Enclave.Domain.Backup;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Backup;

public sealed class RestoreIdsTests
{
    private const string Observation = """
        {"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},
         "subject":{"reference":"Patient/p1"},
         "performer":[{"reference":"Practitioner/d1/_history/2"},{"reference":"#c1"},{"reference":"https://elsewhere.example/fhir/Patient/p1"},{"reference":"urn:uuid:0b4a5c57-7c1f-4e5c-9c1e-0d3f1b8a6c11"}],
         "contained":[{"resourceType":"Practitioner","id":"c1","extension":[{"url":"urn:x","valueReference":{"reference":"Organization/g1"}}]}],
         "note":[{"text":"Patient/p1 is mentioned in prose, not referenced"}]}
        """;

    [Fact]
    public void Kept_ids_leave_the_resource_as_it_was()
    {
        var resource = JsonNode.Parse(Observation)!.AsObject();

        new RestoreIds(null).Rewrite("Observation", resource);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Observation), resource));
        Assert.Equal("p1", new RestoreIds(null).Map("Patient", "p1"));
    }

    [Fact]
    public void Remapped_ids_rewrite_the_id_and_every_local_reference_and_nothing_else()
    {
        var ids = new RestoreIds("seed-1");
        var resource = JsonNode.Parse(Observation)!.AsObject();

        ids.Rewrite("Observation", resource);

        Assert.Equal(ids.Map("Observation", "o1"), resource["id"]!.GetValue<string>());
        Assert.Equal($"Patient/{ids.Map("Patient", "p1")}", resource["subject"]!["reference"]!.GetValue<string>());
        Assert.Equal($"Practitioner/{ids.Map("Practitioner", "d1")}/_history/2", resource["performer"]![0]!["reference"]!.GetValue<string>());
        Assert.Equal("#c1", resource["performer"]![1]!["reference"]!.GetValue<string>());
        Assert.Equal("https://elsewhere.example/fhir/Patient/p1", resource["performer"]![2]!["reference"]!.GetValue<string>());
        Assert.StartsWith("urn:uuid:", resource["performer"]![3]!["reference"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("c1", resource["contained"]![0]!["id"]!.GetValue<string>());
        Assert.Equal($"Organization/{ids.Map("Organization", "g1")}", resource["contained"]![0]!["extension"]![0]!["valueReference"]!["reference"]!.GetValue<string>());
        Assert.Equal("Patient/p1 is mentioned in prose, not referenced", resource["note"]![0]!["text"]!.GetValue<string>());
        Assert.True(ResourceParser.TryParse(resource.ToJsonString(), out _, out _));
    }

    [Fact]
    public void A_seed_maps_each_resource_to_one_valid_id_the_same_every_time_and_other_seeds_elsewhere()
    {
        var ids = new RestoreIds("seed-1");
        var mapped = Enumerable.Range(0, 2000).Select(i => ids.Map(i % 2 == 0 ? "Patient" : "Observation", $"r{i / 2}")).ToList();

        Assert.Equal(mapped.Count, mapped.Distinct(StringComparer.Ordinal).Count());
        Assert.All(mapped, id => Assert.True(FhirId.IsValid(id), id));
        Assert.Equal(mapped[10], new RestoreIds("seed-1").Map("Patient", "r5"));
        Assert.NotEqual(mapped[10], new RestoreIds("seed-2").Map("Patient", "r5"));
        Assert.NotEqual(ids.Map("Patient", "r5"), ids.Map("Observation", "r5"));
    }
}
