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

        Assert.NotNull(one.Decide("read", At("o1"), s_now));
        Assert.Null(one.Decide("read", At("o2"), s_now));
        Assert.NotNull(both.Decide("read", At("o2"), s_now));
        Assert.Null(both.Decide("read", At("o3"), s_now));
        Assert.Equal(["telecom"], one.Decide("update", At("o1"), s_now)!.HiddenFields);
        Assert.NotNull(one.Decide("read", new Organization { Id = "o9", Name = "Any" }, s_now));
        Assert.Null(one.Decide("update", new Organization { Id = "o9", Name = "Any" }, s_now));
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

        Assert.NotNull(caregiver.Decide("read", new Patient { Id = "p2" }, s_now));
        Assert.Null(caregiver.Decide("read", new Patient { Id = "p3" }, s_now));
        Assert.Null(caregiver.Decide("update", new Patient { Id = "p1" }, s_now));
        Assert.NotNull(caregiver.Decide("create", Of("p1"), s_now));
        Assert.Null(caregiver.Decide("create", Of("p3"), s_now));
        Assert.Null(caregiver.Decide("delete", Of("p1"), s_now));
    }

    [Fact]
    public void It_fails_closed_and_never_covers_admin_types()
    {
        var unresolved = Policy(Member(Access("clinic", "organisation-misspelled", "Organization/o1")));
        var missingPolicy = Policy(Member(Access("no-such-policy", "organization", "Organization/o1")));
        var wildcard = Policy(Member(Access("everything-but-admin", "x", "Patient/p1")));
        var unrestricted = Policy(Member());

        Assert.Null(unresolved.Decide("read", new Patient { Id = "p", ManagingOrganization = new ResourceReference("Organization/o1") }, s_now));
        Assert.False(missingPolicy.AllowsType("Patient", "read"));
        Assert.NotNull(wildcard.Decide("delete", new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x") }, s_now));
        Assert.False(wildcard.AllowsType("ProjectMembership", "read"));
        Assert.False(wildcard.AllowsType("AccessPolicy", "search"));
        Assert.True(unrestricted.AllowsType("Patient", "delete"));
        Assert.Null(unrestricted.SearchFilter("Patient", "search"));
        Assert.Empty(unrestricted.SearchFilter("ProjectMembership", "search")!);
        Assert.False(unrestricted.AllowsType("ClientApplication", "read"));
    }
}
