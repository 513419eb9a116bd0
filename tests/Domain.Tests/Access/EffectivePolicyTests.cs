using Enclave.Domain.Access;
using Enclave.Domain.Tenancy;
using Hl7.Fhir.Model;
using TenancyReference = Enclave.Domain.Tenancy.Reference;

namespace Enclave.Domain.Tests.Access;

/// <summary>A membership's effective policy: union of its policies, parameters substituted structurally, fail closed.</summary>
public sealed class EffectivePolicyTests
{
    private static readonly DateTimeOffset s_now = DateTimeOffset.UtcNow;

    private static readonly Dictionary<string, AccessPolicy> s_policies = new()
    {
        ["clinic"] = new AccessPolicy
        {
            Resource =
            [
                new AccessPolicyRule { ResourceType = "Patient", Criteria = "Patient?organization=%organization", HiddenFields = ["telecom"] },
                new AccessPolicyRule { ResourceType = "Organization", Readonly = true },
            ],
        },
        ["caregiver"] = new AccessPolicy
        {
            Resource =
            [
                new AccessPolicyRule { ResourceType = "Patient", Criteria = "Patient?_id=%patient.id", Readonly = true },
                new AccessPolicyRule { ResourceType = "Observation", Criteria = "Observation?subject=%patient", Interaction = ["read", "search", "create"] },
            ],
        },
        ["everything-but-admin"] = new AccessPolicy { Resource = [new AccessPolicyRule { ResourceType = "*" }] },
    };

    private static ProjectMembership Member(params MembershipAccess[] access) => new()
    {
        Id = "m1",
        Project = TenancyReference.To("Project", "p"),
        User = TenancyReference.To("User", "u1"),
        Profile = TenancyReference.To("Practitioner", "pr1"),
        Access = access,
    };

    private static MembershipAccess Access(string policy, string name, string reference) =>
        new(TenancyReference.To("AccessPolicy", policy), [new AccessParameter(name, ValueReference: new TenancyReference(reference))]);

    private static EffectivePolicy Policy(ProjectMembership member) => EffectivePolicy.For(member, id => s_policies.GetValueOrDefault(id));

    [Fact]
    public void An_mso_member_sees_only_the_patients_of_their_organisations()
    {
        var both = Policy(Member(Access("clinic", "organization", "Organization/o1"), Access("clinic", "organization", "Organization/o2")));
        var one = Policy(Member(Access("clinic", "organization", "Organization/o1")));
        Patient At(string org) => new() { Id = org, ManagingOrganization = new ResourceReference($"Organization/{org}") };

        Assert.NotNull(one.Decide("read", At("o1"), s_now, s_now));
        Assert.Null(one.Decide("read", At("o2"), s_now, s_now));
        Assert.NotNull(both.Decide("read", At("o2"), s_now, s_now));
        Assert.Null(both.Decide("read", At("o3"), s_now, s_now));
        Assert.Equal(["telecom"], one.Decide("update", At("o1"), s_now, s_now)!.HiddenFields);
        Assert.NotNull(one.Decide("read", new Organization { Id = "o9", Name = "Any" }, s_now, s_now));
        Assert.Null(one.Decide("update", new Organization { Id = "o9", Name = "Any" }, s_now, s_now));
        Assert.False(one.AllowsType("Observation", "read"));
        Assert.True(one.AllowsType("Patient", "search"));
        var filter = both.SearchFilter("Patient", "search")!;
        Assert.Equal(["Organization/o1", "Organization/o2"], filter.Select(g => Assert.Single(g).Values.Single()));
        Assert.Empty(one.SearchFilter("Observation", "search")!);
        Assert.Equal([[]], one.SearchFilter("Organization", "search")!);
    }

    [Fact]
    public void A_caregiver_reaches_exactly_the_patients_of_their_access_entries()
    {
        var caregiver = Policy(Member(Access("caregiver", "patient", "Patient/p1"), Access("caregiver", "patient", "Patient/p2")));
        Observation Of(string patient) => new() { Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x"), Subject = new ResourceReference($"Patient/{patient}") };

        Assert.NotNull(caregiver.Decide("read", new Patient { Id = "p2" }, s_now, s_now));
        Assert.Null(caregiver.Decide("read", new Patient { Id = "p3" }, s_now, s_now));
        Assert.Null(caregiver.Decide("update", new Patient { Id = "p1" }, s_now, s_now));
        Assert.NotNull(caregiver.Decide("create", Of("p1"), s_now, s_now));
        Assert.Null(caregiver.Decide("create", Of("p3"), s_now, s_now));
        Assert.Null(caregiver.Decide("delete", Of("p1"), s_now, s_now));
    }

    [Fact]
    public void It_fails_closed_and_never_covers_admin_types()
    {
        var unresolved = Policy(Member(Access("clinic", "organisation-misspelled", "Organization/o1")));
        var missingPolicy = Policy(Member(Access("no-such-policy", "organization", "Organization/o1")));
        var wildcard = Policy(Member(Access("everything-but-admin", "x", "Patient/p1")));
        var unrestricted = Policy(Member());

        Assert.Null(unresolved.Decide("read", new Patient { Id = "p", ManagingOrganization = new ResourceReference("Organization/o1") }, s_now, s_now));
        Assert.False(missingPolicy.AllowsType("Patient", "read"));
        Assert.NotNull(wildcard.Decide("delete", new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x") }, s_now, s_now));
        Assert.False(wildcard.AllowsType("ProjectMembership", "read"));
        Assert.False(wildcard.AllowsType("AccessPolicy", "search"));
        Assert.True(unrestricted.AllowsType("Patient", "delete"));
        Assert.Null(unrestricted.SearchFilter("Patient", "search"));
        Assert.Empty(unrestricted.SearchFilter("ProjectMembership", "search")!);
        Assert.False(unrestricted.AllowsType("ClientApplication", "read"));
    }
    /// <summary>Regression: Medplum's per-rule compartment was stored and ignored, so the rule reached resources outside it.</summary>
    [Fact]
    public void A_rule_compartment_limits_the_rule_like_a_compartment_criterion()
    {
        var policy = new AccessPolicy
        {
            Resource =
            [
                new AccessPolicyRule { ResourceType = "Observation", Compartment = new AccessPolicyReference("%patient"), Criteria = "Observation?status=final" },
                new AccessPolicyRule { ResourceType = "*", Compartment = new AccessPolicyReference("Organization/o1"), Readonly = true },
            ],
        };
        var member = Member(Access("compartments", "patient", "Patient/p1"));
        var effective = EffectivePolicy.For(member, _ => policy);
        Observation Of(string patient, ObservationStatus status) =>
            new() { Status = status, Code = new CodeableConcept("urn:c", "x"), Subject = new ResourceReference($"Patient/{patient}") };
        var inOrganization = new Patient { Id = "p7" };
        Accounts.Set(inOrganization, ["Organization/o1"]);

        Assert.NotNull(effective.Decide("read", Of("p1", ObservationStatus.Final), s_now, s_now));
        Assert.Null(effective.Decide("read", Of("p2", ObservationStatus.Final), s_now, s_now));
        Assert.Null(effective.Decide("read", Of("p1", ObservationStatus.Preliminary), s_now, s_now));
        Assert.NotNull(effective.Decide("read", inOrganization, s_now, s_now));
        Assert.Null(effective.Decide("update", inOrganization, s_now, s_now));
        Assert.Null(effective.Decide("read", new Patient { Id = "p8" }, s_now, s_now));
        var filter = effective.SearchFilter("Observation", "search")!;
        Assert.Contains(filter, g => g.Any(c => c.Code == "_compartment" && c.Values.SequenceEqual(["Patient/p1"])) && g.Any(c => c.Code == "status"));
        Assert.Contains(filter, g => g.Any(c => c.Code == "_compartment" && c.Values.SequenceEqual(["Organization/o1"])));
        Assert.NotNull(effective.AuthorizeWrite("create", null, default, Of("p1", ObservationStatus.Final), s_now).Rule);
        Assert.NotNull(effective.AuthorizeWrite("create", null, default, Of("p2", ObservationStatus.Final), s_now).Denial);
        var explained = AccessExplanation.For(effective, "read", "Observation", Of("p2", ObservationStatus.Final), s_now, null, s_now);
        Assert.False(explained.Allowed);
        Assert.Contains(explained.Rules, r => r.Verdict.Contains("_compartment=Patient/p1", StringComparison.Ordinal));
        var unresolved = EffectivePolicy.For(Member(Access("compartments", "other", "Patient/p1")), _ => policy);
        Assert.Null(unresolved.Decide("read", Of("p1", ObservationStatus.Final), s_now, s_now));
        Assert.Contains(unresolved.Dropped, d => d.Contains("compartment %patient", StringComparison.Ordinal));
    }

    /// <summary>Regression: a membership stored with an access entry lacking its parameters or policy threw on every request.</summary>
    [Fact]
    public void An_access_entry_without_parts_denies_instead_of_throwing()
    {
        var member = Member(new MembershipAccess(TenancyReference.To("AccessPolicy", "clinic"), null!), new MembershipAccess(null!, []));

        var effective = Policy(member);

        Assert.False(effective.IsUnrestricted);
        Assert.Null(effective.Decide("read", new Patient { Id = "p", ManagingOrganization = new ResourceReference("Organization/o1") }, s_now, s_now));
        Assert.Contains(effective.Dropped, d => d.Contains("without a policy", StringComparison.Ordinal));
    }
}
