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
    public void Statement_claims_json_and_exactly_the_crud_interactions_that_exist()
    {
        var statement = Create();

        Assert.Equal([ServerCapabilities.FhirJson], statement.Format);
        var rest = Assert.Single(statement.Rest);
        Assert.Equal(CapabilityStatement.RestfulCapabilityMode.Server, rest.Mode);
        Assert.Equal(CapabilityStatement.SystemRestfulInteraction.HistorySystem, Assert.Single(rest.Interaction).Code);
        Assert.Equal(ModelInfo.SupportedResources.Count, rest.Resource.Count);
        var patient = rest.Resource.Single(r => r.Type == "Patient");
        Assert.Equal(
            ["create", "delete", "historyinstance", "historytype", "patch", "read", "update", "vread"],
            patient.Interaction.Select(i => i.Code!.Value.ToString().ToLowerInvariant()).Order());
        Assert.Empty(patient.SearchParam);
        Assert.Null(patient.ConditionalCreate);
    }
}
