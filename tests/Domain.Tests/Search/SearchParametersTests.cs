using Enclave.Domain.Search;

namespace Enclave.Domain.Tests.Search;

public sealed class SearchParametersTests
{
    /// <summary>Regression: <c>Observation?patient.family=X</c> was refused because the shared definition lists Group too.</summary>
    [Theory]
    [InlineData("Observation")]
    [InlineData("Condition")]
    [InlineData("Encounter")]
    [InlineData("DiagnosticReport")]
    public void A_patient_parameter_that_resolves_only_to_Patient_has_that_single_target(string type) =>
        Assert.Equal(["Patient"], SearchParameters.For(type)["patient"].Targets);

    [Fact]
    public void A_parameter_without_a_resolve_filter_keeps_its_declared_targets() =>
        Assert.Contains("Group", SearchParameters.For("Observation")["subject"].Targets);
}
