using Enclave.Domain.Access;

namespace Enclave.Domain.Tests.Access;

/// <summary>A hidden or read-only field must name elements the type has; a misspelled one would hide nothing while looking enforced.</summary>
public sealed class FieldPathTests
{
    [Theory]
    [InlineData("Patient", "birthDate")]
    [InlineData("Patient", "name.family")]
    [InlineData("Patient", "contact.name.family")]
    [InlineData("Patient", "telecom.value")]
    [InlineData("Patient", "deceased[x]")]
    [InlineData("Patient", "deceasedDateTime")]
    [InlineData("Observation", "value[x]")]
    [InlineData("Observation", "valueQuantity")]
    [InlineData("Observation", "valueQuantity.value")]
    [InlineData("Observation", "component.value[x]")]
    public void Elements_of_the_type_exist(string type, string path) => Assert.True(FieldMask.Exists(type, path));

    [Theory]
    [InlineData("Patient", "nope")]
    [InlineData("Patient", "birthdate")]
    [InlineData("Patient", "name.nope")]
    [InlineData("Patient", "deceased")]
    [InlineData("Patient", "birthDate[x]")]
    [InlineData("Observation", "valueNope")]
    [InlineData("Observation", "valueQuantity.nope")]
    public void Misspelled_or_missing_elements_do_not(string type, string path) => Assert.False(FieldMask.Exists(type, path));
}
