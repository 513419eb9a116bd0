using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Fhir;

/// <summary>Strict parsing, with the one leniency other servers share: an empty resource is a resource.</summary>
public sealed class ResourceParserTests
{
    [Fact]
    public void An_empty_resource_parses_and_anything_unknown_does_not()
    {
        Assert.True(ResourceParser.TryParse("""{"resourceType":"Patient"}""", out var empty, out _));
        Assert.IsType<Patient>(empty);
        Assert.False(ResourceParser.TryParse("""{"resourceType":"Patientt"}""", out _, out var unknownType));
        Assert.NotEmpty(unknownType!.Issue);
        Assert.False(ResourceParser.TryParse("""{"resourceType":"Patient","colour":"blue"}""", out _, out var unknownElement));
        Assert.Contains(unknownElement!.Issue, i => i.Diagnostics!.Contains("colour", StringComparison.Ordinal));
        Assert.False(ResourceParser.TryParse("""{}""", out _, out _));
    }
}
