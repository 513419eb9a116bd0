using Enclave.Domain.Tenancy;
using Enclave.Storage.Tenancy;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Tenancy;

/// <summary>The tenancy store's contract against the emulator: what already exists is a conflict, and profile data stays per project.</summary>
public sealed class CosmosTenancyStoreTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly CosmosTenancyStore _store = new(cosmos.Container);

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static (Project Project, ClientCredentials Client, ProjectMembership Membership) NewProject()
    {
        var projectId = NewId();
        var client = new ClientApplication { Id = NewId(), Name = "admin client" };
        var membership = Membership(projectId, Reference.To(nameof(ClientApplication), client.Id));
        return (new Project { Id = projectId, Name = "P" }, new ClientCredentials(projectId, client, membership.Id, ClientSecrets.Hash("s")), membership);
    }

    private static ProjectMembership Membership(string projectId, Reference user, string? firstName = null) => new()
    {
        Id = NewId(),
        Project = Reference.To(nameof(Project), projectId),
        User = user,
        FirstName = firstName,
    };

    [Fact]
    public async Task Creating_a_project_that_exists_is_a_tenancy_conflict()
    {
        var (project, client, membership) = NewProject();
        await _store.CreateProjectAsync(project, client, membership, CancellationToken.None);
        var (_, otherClient, otherMembership) = NewProject();

        await Assert.ThrowsAsync<TenancyConflictException>(() =>
            _store.CreateProjectAsync(project, otherClient with { ProjectId = project.Id }, otherMembership with { Project = membership.Project }, CancellationToken.None));
    }

    [Fact]
    public async Task Creating_a_membership_whose_id_is_taken_is_a_tenancy_conflict_and_keeps_the_first()
    {
        var (project, client, admin) = NewProject();
        await _store.CreateProjectAsync(project, client, admin, CancellationToken.None);
        var first = Membership(project.Id, Reference.To(nameof(User), NewId()), "Ada");
        await _store.CreateMembershipAsync(first, CancellationToken.None);

        await Assert.ThrowsAsync<TenancyConflictException>(() =>
            _store.CreateMembershipAsync(first with { FirstName = "Mallory" }, CancellationToken.None));
        Assert.Equal("Ada", (await _store.GetMembershipAsync(project.Id, first.Id, CancellationToken.None))?.FirstName);
    }

    [Fact]
    public async Task A_users_names_are_kept_per_project_on_each_membership()
    {
        var (a, clientA, adminA) = NewProject();
        var (b, clientB, adminB) = NewProject();
        await _store.CreateProjectAsync(a, clientA, adminA, CancellationToken.None);
        await _store.CreateProjectAsync(b, clientB, adminB, CancellationToken.None);
        var user = Reference.To(nameof(User), NewId());
        var inA = Membership(a.Id, user, "Ada");
        var inB = Membership(b.Id, user, "Grace");
        await _store.CreateMembershipAsync(inA, CancellationToken.None);
        await _store.CreateMembershipAsync(inB, CancellationToken.None);

        var seenByB = await _store.SearchMembershipsAsync(b.Id, user.Value, null, CancellationToken.None);

        Assert.Equal("Grace", Assert.Single(seenByB).FirstName);
        Assert.Equal("Ada", (await _store.GetMembershipAsync(a.Id, inA.Id, CancellationToken.None))?.FirstName);
        Assert.Null(await _store.GetMembershipAsync(b.Id, inA.Id, CancellationToken.None));
    }
}
