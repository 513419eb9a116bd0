using System.Text.Json;
using Enclave.Domain.Access;

namespace Enclave.Domain.Tests.Access;

/// <summary>An AccessPolicy that cannot be enforced is refused when written, naming the rule.</summary>
public sealed class AccessPolicyValidatorTests
{
    private static JsonElement Policy(string rules) => JsonDocument.Parse($$"""{"resourceType":"AccessPolicy","resource":[{{rules}}]}""").RootElement;

    [Theory]
    [InlineData("""{"resourceType":"Patient","criteria":"Patient?_compartment=%organization"}""")]
    [InlineData("""{"resourceType":"Observation","criteria":"Observation?subject=%patient&code=http://loinc.org|8867-4,http://loinc.org|2339-0"}""")]
    [InlineData("""{"resourceType":"Patient","criteria":"Patient?_id=%patient.id","readonly":true,"hiddenFields":["telecom"]}""")]
    [InlineData("""{"resourceType":"*","interaction":["read","search"]}""")]
    [InlineData("""{"resourceType":"Encounter","writeConstraint":[{"language":"text/fhirpath","expression":"%before.status = 'finished' implies %after.status = 'finished'"}]}""")]
    public void Enforceable_rules_are_accepted(string rule)
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(Policy(rule));

        Assert.Null(refusal);
        Assert.Single(policy!.Resource);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","criteria":"Patient?nonsense=1"}""", "nonsense")]
    [InlineData("""{"resourceType":"Patient","criteria":"Observation?code=1"}""", "own type")]
    [InlineData("""{"resourceType":"*","criteria":"Patient?active=true"}""", "own type")]
    [InlineData("""{"resourceType":"Patient","criteria":"Patient?birthdate=yesterday"}""", "do not parse")]
    [InlineData("""{"resourceType":"Patient","criteria":"Patient?_compartment=Organization/%organization"}""", "whole value")]
    [InlineData("""{"resourceType":"Patientt"}""", "not a resource type")]
    [InlineData("""{"resourceType":"Patient","interaction":["read","destroy"]}""", "destroy")]
    [InlineData("""{"resourceType":"Patient","writeConstraint":[{"language":"text/fhirpath","expression":"%after.("}]}""", "does not compile")]
    public void Unenforceable_rules_are_refused_naming_the_rule(string rule, string named)
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(Policy("""{"resourceType":"Practitioner"},""" + rule));

        Assert.Null(policy);
        Assert.Contains("resource[1]", refusal!.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.Contains(named, refusal.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_are_substituted_as_whole_values_never_as_text()
    {
        Assert.True(AccessPolicyValidator.TrySubstitute("_compartment=%patient,%patient_org&name=x%25y",
            name => name switch { "patient" => "Patient/p1", "patient_org" => "Organization/o1", _ => null }, out var pairs, out _));
        Assert.Equal([new("_compartment", "Patient/p1,Organization/o1"), new("name", "x%y")], pairs);
        Assert.False(AccessPolicyValidator.TrySubstitute("_compartment=%unknown", _ => null, out _, out var problem));
        Assert.Contains("%unknown", problem, StringComparison.Ordinal);
    }
}
