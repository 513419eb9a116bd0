using System.Text.Json;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Enclave.Domain.Tests.Fhir;

public sealed class ServerCapabilitiesTests
{
    private static readonly JsonSerializerOptions s_fhir = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    private static CapabilityStatement Create() =>
        ServerCapabilities.Create(new Uri("https://example.org/api/fhir/R4/"), "1.2.3", new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Statement_round_trips_through_the_strict_firely_parser()
    {
        var json = JsonSerializer.Serialize(Create(), s_fhir);

        var parsed = JsonSerializer.Deserialize<CapabilityStatement>(json, s_fhir)!;

        Assert.Equal(FHIRVersion.N4_0_1, parsed.FhirVersion);
        Assert.Equal(CapabilityStatementKind.Instance, parsed.Kind);
        Assert.Equal("https://example.org/api/fhir/R4", parsed.Implementation!.Url);
        Assert.Equal("1.2.3", parsed.Software!.Version);
        Assert.Equal("2026-11-23", parsed.Date);
    }

    [Fact]
    public void Statement_claims_exactly_the_formats_interactions_and_search_parameters_that_exist()
    {
        var statement = Create();

        Assert.Equal([ServerCapabilities.FhirJson, ServerCapabilities.FhirXml], statement.Format);
        Assert.Equal(["application/json-patch+json", ServerCapabilities.FhirJson, ServerCapabilities.FhirXml], statement.PatchFormat);
        var rest = Assert.Single(statement.Rest);
        Assert.Equal(CapabilityStatement.RestfulCapabilityMode.Server, rest.Mode);
        Assert.Equal(["batch", "historysystem", "searchsystem", "transaction"], rest.Interaction.Select(i => i.Code!.Value.ToString().ToLowerInvariant()).Order());
        Assert.Equal(["_compartment", "_id", "_lastUpdated", "_profile", "_security", "_source", "_tag"], rest.SearchParam.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(ModelInfo.SupportedResources.Count, rest.Resource.Count);
        var patient = rest.Resource.Single(r => r.Type == "Patient");
        Assert.Equal(
            ["create", "delete", "historyinstance", "historytype", "patch", "read", "searchtype", "update", "vread"],
            patient.Interaction.Select(i => i.Code!.Value.ToString().ToLowerInvariant()).Order());
        Assert.True(patient.ConditionalCreate);
        Assert.True(patient.ConditionalUpdate);
        Assert.Equal(CapabilityStatement.ConditionalDeleteStatus.Single, patient.ConditionalDelete);
        Assert.Contains(patient.SearchParam, p => p.Name == "birthdate" && p.Type == SearchParamType.Date);
        Assert.DoesNotContain(rest.Resource.SelectMany(r => r.SearchParam), p => p.Type is SearchParamType.Special);
        Assert.Contains(rest.Resource.Single(r => r.Type == "Observation").SearchParam, p => p.Name == "code-value-quantity" && p.Type == SearchParamType.Composite);
        Assert.Contains("Patient:general-practitioner", patient.SearchInclude);
        Assert.Contains("Observation:subject", patient.SearchRevInclude);
        Assert.DoesNotContain("Observation:subject", rest.Resource.Single(r => r.Type == "Medication").SearchRevInclude);
    }
}
