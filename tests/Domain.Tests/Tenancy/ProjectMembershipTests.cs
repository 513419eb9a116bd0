using System.Text.Json;
using Enclave.Domain.Tenancy;

namespace Enclave.Domain.Tests.Tenancy;

/// <summary>Memberships hold a project's profile of a user, and refuse the nulls JSON can smuggle past their types.</summary>
public sealed class ProjectMembershipTests
{
    private static ProjectMembership Parse(string accessAndProfile) => JsonSerializer.Deserialize<ProjectMembership>(
        $$"""{"id":"m1","project":{"reference":"Project/p1"},"user":{"reference":"User/u1"}{{accessAndProfile}}}""")!;

    [Theory]
    [InlineData("", null)]
    [InlineData(""","access":[{"policy":{"reference":"AccessPolicy/a"}}]""", null)]
    [InlineData(""","access":[{"policy":{"reference":"AccessPolicy/a"},"parameter":[{"name":"org","valueString":"x"}]}],"profile":{"reference":"Practitioner/1"}""", null)]
    [InlineData(""","access":null""", "access must be")]
    [InlineData(""","access":[null]""", "access must be")]
    [InlineData(""","access":[{"policy":null}]""", "AccessPolicy/{id}")]
    [InlineData(""","access":[{"policy":{"reference":"AccessPolicy/"}}]""", "AccessPolicy/{id}")]
    [InlineData(""","accessPolicy":{"reference":"Patient/1"}""", "AccessPolicy/{id}")]
    [InlineData(""","access":[{"policy":{"reference":"AccessPolicy/a"},"parameter":[null]}]""", "needs a name")]
    [InlineData(""","profile":{"reference":null}""", "profile must be")]
    [InlineData(""","profile":{"reference":"/1"}""", "profile must be")]
    public void Problem_names_what_cannot_be_stored(string json, string? expected)
    {
        var problem = Parse(json).Problem();

        if (expected is null)
        {
            Assert.Null(problem);
        }
        else
        {
            Assert.Contains(expected, problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Omitted_access_parameters_become_empty_lists()
    {
        var membership = Parse(""","access":[{"policy":{"reference":"AccessPolicy/a"}}]""");

        Assert.Empty(membership.Normalized().Access[0].Parameter);
    }

    [Fact]
    public void A_project_sees_the_names_on_its_own_membership_only()
    {
        var user = new User { Id = "u1", Email = "ada@example.org" };
        var inA = Parse(string.Empty) with { FirstName = "Augusta", LastName = "Lovelace" };
        var inB = Parse(string.Empty) with { Id = "m2", Project = Reference.To(nameof(Project), "p2"), FirstName = "Grace" };

        var seenByB = JsonSerializer.Serialize(ProjectUser.Of(user, inB));

        Assert.Equal("""{"resourceType":"User","id":"u1","email":"ada@example.org","firstName":"Grace"}""", seenByB);
        Assert.Equal("Augusta", ProjectUser.Of(user, inA).FirstName);
    }
}
