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
    [InlineData("""{"resourceType":"patient"}""", "not a resource type")]
    [InlineData("""{"resourceType":"Patient","interaction":["read","destroy"]}""", "destroy")]
    [InlineData("""{"resourceType":"Patient","writeConstraint":[{"language":"text/fhirpath","expression":"%after.("}]}""", "writeConstraint '%after.(' is not a FHIRPath expression")]
    public void Unenforceable_rules_are_refused_naming_the_rule(string rule, string named)
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(Policy("""{"resourceType":"Practitioner"},""" + rule));

        Assert.Null(policy);
        Assert.Contains("resource[1]", refusal!.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.Contains(named, refusal.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    /// <summary>Regression: an element Enclave does not enforce was dropped by the deserializer, so the rule applied without it (fail open).</summary>
    [Theory]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criterion":"Patient?_id=%patient.id"}]}""", "AccessPolicy.resource[0].criterion is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","readOnly":true}]}""", "AccessPolicy.resource[0].readOnly is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","hiddenfields":["telecom"]}]}""", "AccessPolicy.resource[0].hiddenfields is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient"},{"resourceType":"Observation","Criteria":"Observation?code=x"}]}""", "AccessPolicy.resource[1].Criteria is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","basedOn":[{"reference":"AccessPolicy/base"}],"resource":[]}""", "AccessPolicy.basedOn is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","ipAccessRule":[{"value":"10.0.0.0/8","action":"allow","mode":"x"}]}""", "AccessPolicy.ipAccessRule[0].mode is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","compartment":{"reference":"%organization","type":"Organization"}}""", "AccessPolicy.compartment.type is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","compartment":{"referense":"%organization"}}]}""", "AccessPolicy.resource[0].compartment.referense is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Encounter","writeConstraint":[{"expression":"true","lang":"x"}]}]}""", "AccessPolicy.resource[0].writeConstraint[0].lang is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":"Patient?active=true","criteria":"Patient?active=false"}]}""", "AccessPolicy.resource[0].criteria appears more than once")]
    public void Unknown_or_misspelled_elements_are_refused_by_name(string body, string named)
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(JsonDocument.Parse(body).RootElement);

        Assert.Null(policy);
        Assert.Contains(named, refusal!.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    /// <summary>Regression: a value of the wrong JSON kind threw while reading the policy (a 500).</summary>
    [Theory]
    [InlineData("""{"resourceType":5}""", "AccessPolicy.resourceType must be a string")]
    [InlineData("""{"resourceType":"Patient"}""", "AccessPolicy.resourceType must be AccessPolicy")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":{"resourceType":"Patient"}}""", "AccessPolicy.resource must be an array")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[null]}""", "AccessPolicy.resource[0] must be an object")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":5}]}""", "AccessPolicy.resource[0].resourceType must be a string")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","readonly":"yes"}]}""", "AccessPolicy.resource[0].readonly must be true or false")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","hiddenFields":[null]}]}""", "AccessPolicy.resource[0].hiddenFields[0] must be a string")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","interaction":"read"}]}""", "AccessPolicy.resource[0].interaction must be an array")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criteria":null}]}""", "AccessPolicy.resource[0].criteria must be a string")]
    [InlineData("""{"resourceType":"AccessPolicy","id":7}""", "AccessPolicy.id must be a string")]
    [InlineData("""{"resourceType":"AccessPolicy","meta":[]}""", "AccessPolicy.meta must be an object")]
    [InlineData("""[]""", "AccessPolicy must be a JSON object")]
    public void Values_of_the_wrong_kind_are_refused_by_name(string body, string named)
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(JsonDocument.Parse(body).RootElement);

        Assert.Null(policy);
        Assert.Contains(named, refusal!.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_element_Enclave_enforces_is_accepted()
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(JsonDocument.Parse("""
            {"resourceType":"AccessPolicy","id":"p1","meta":{"versionId":"1"},"name":"All of it","compartment":{"reference":"%organization","display":"The clinic"},
             "ipAccessRule":[{"name":"office","value":"203.0.113.0/24","action":"allow"}],
             "resource":[{"resourceType":"Observation","compartment":{"reference":"%patient"},"criteria":"Observation?status=final","readonly":false,
               "interaction":["read","search","create"],"hiddenFields":["note"],"readonlyFields":["status"],
               "writeConstraint":[{"language":"text/fhirpath","expression":"%after.status = 'final'","description":"stays final"}]}]}
            """).RootElement);

        Assert.Null(refusal);
        Assert.Equal("%patient", Assert.Single(policy!.Resource).Compartment!.Reference);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","compartment":{"reference":"Organization/"}}""")]
    [InlineData("""{"resourceType":"Patient","compartment":{"reference":"x%organization"}}""")]
    [InlineData("""{"resourceType":"Patient","compartment":{}}""")]
    [InlineData("""{"resourceType":"Patient","compartment":{"reference":"organization/o1"}}""")]
    [InlineData("""{"resourceType":"Patient","compartment":{"reference":"Organization/a b"}}""")]
    public void A_rule_compartment_is_a_parameter_or_a_reference(string rule)
    {
        var (policy, refusal) = AccessPolicyValidator.Validate(Policy(rule));

        Assert.Null(policy);
        Assert.Contains("AccessPolicy.resource[0]: compartment", refusal!.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "ProjectMembership.access must be an array")]
    [InlineData("[null]", "ProjectMembership.access[0].policy")]
    [InlineData("""[{"policy":null}]""", "ProjectMembership.access[0].policy")]
    [InlineData("""[{"policy":{"reference":"Patient/x"}}]""", "ProjectMembership.access[0].policy")]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/a b"}}]""", "ProjectMembership.access[0].policy")]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/ok"},"parameter":[{"name":"organization"}]}]""", "ProjectMembership.access[0].parameter[0]")]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/ok"},"parameter":[null]}]""", "ProjectMembership.access[0].parameter[0]")]
    public void Membership_access_that_references_no_policy_is_refused(string? access, string named)
    {
        var entries = access is null ? null : JsonSerializer.Deserialize<List<Enclave.Domain.Tenancy.MembershipAccess>>(access);

        Assert.Contains(named, AccessPolicyValidator.AccessProblem(entries, null), StringComparison.Ordinal);
        Assert.Null(AccessPolicyValidator.AccessProblem(JsonSerializer.Deserialize<List<Enclave.Domain.Tenancy.MembershipAccess>>(
            """[{"policy":{"reference":"AccessPolicy/ok"}},{"policy":{"reference":"AccessPolicy/ok"},"parameter":[{"name":"organization","valueReference":{"reference":"Organization/o1"}}]}]"""), null));
        Assert.Contains("accessPolicy", AccessPolicyValidator.AccessProblem([], new Enclave.Domain.Tenancy.Reference("Policy/1")), StringComparison.Ordinal);
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
