using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Domain.Tests.Search;

public sealed class LocalReferenceTests
{
    [Theory]
    [InlineData("Patient/p1", "Patient", "p1")]
    [InlineData("Patient/p1/_history/2", "Patient", "p1")]
    [InlineData("Patient/p1/_history/", "Patient", "p1")]
    [InlineData("Organization/o.1-A", "Organization", "o.1-A")]
    [InlineData("Patient", null, null)]
    [InlineData("Patient/", null, null)]
    [InlineData("/p1", null, null)]
    [InlineData("Patient/p1/", null, null)]
    [InlineData("Patient/p1/_history", null, null)]
    [InlineData("Patient/p1/history/2", null, null)]
    [InlineData("Patient/p1/_history/2/x", null, null)]
    [InlineData("Patient//_history/2", null, null)]
    [InlineData("Nonsense/p1", null, null)]
    [InlineData("Patient/p 1", null, null)]
    [InlineData("http://elsewhere.example/fhir/Patient/p1", null, null)]
    [InlineData("urn:uuid:0b4a5c57-7c1f-4e5c-9c1e-0d3f1b8a6c11", null, null)]
    public void Parses_Type_slash_id_with_an_optional_version_and_nothing_else(string reference, string? type, string? id)
    {
        var parsed = LocalReference.TryParse(reference, out var foundType, out var foundId);

        Assert.Equal(type is not null, parsed);
        Assert.Equal(type ?? string.Empty, foundType);
        Assert.Equal(id ?? string.Empty, foundId);
        Assert.Equal(Oracle(reference), parsed);
    }

    /// <summary>The definition the parser keeps: split at every slash.</summary>
    private static bool Oracle(string reference) => reference.Split('/') is var parts
        && (parts.Length == 2 || (parts.Length == 4 && parts[2] == "_history"))
        && ResourceTypes.IsKnown(parts[0]) && FhirId.IsValid(parts[1]);
}
