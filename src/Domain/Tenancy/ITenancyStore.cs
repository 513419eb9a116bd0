namespace Enclave.Domain.Tenancy;

/// <summary>
/// Where projects, memberships and client applications are kept. Every lookup a login or a token needs is a
/// point read: no cross-partition query.
/// </summary>
public interface ITenancyStore
{
    /// <summary>The project, or null.</summary>
    Task<Project?> GetProjectAsync(string projectId, CancellationToken cancellationToken);

    /// <summary>A membership of <paramref name="projectId"/>, or null (also when it belongs to another project).</summary>
    Task<ProjectMembership?> GetMembershipAsync(string projectId, string membershipId, CancellationToken cancellationToken);

    /// <summary>The credentials of a client application by its id, or null.</summary>
    Task<ClientCredentials?> FindClientAsync(string clientId, CancellationToken cancellationToken);

    /// <summary>Replaces a project (its name, settings and links); false when it does not exist.</summary>
    Task<bool> ReplaceProjectAsync(Project project, CancellationToken cancellationToken);

    /// <summary>Creates a project with its first client application and that client's (admin) membership, atomically.</summary>
    Task CreateProjectAsync(Project project, ClientCredentials firstClient, ProjectMembership membership, CancellationToken cancellationToken);

    /// <summary>Adds a client application and its membership to an existing project.</summary>
    Task CreateClientAsync(ClientCredentials client, ProjectMembership membership, CancellationToken cancellationToken);

    /// <summary>The memberships of a project, optionally only those of a user and/or a profile reference.</summary>
    Task<IReadOnlyList<ProjectMembership>> SearchMembershipsAsync(string projectId, string? user, string? profile, CancellationToken cancellationToken);

    /// <summary>Replaces a membership; false when it does not exist.</summary>
    Task<bool> ReplaceMembershipAsync(ProjectMembership membership, CancellationToken cancellationToken);

    /// <summary>A stored AccessPolicy of the project as JSON, or null.</summary>
    Task<System.Text.Json.JsonElement?> GetAccessPolicyAsync(string projectId, string policyId, CancellationToken cancellationToken);

    /// <summary>Creates or replaces an AccessPolicy of the project; true when it was created.</summary>
    Task<bool> PutAccessPolicyAsync(string projectId, string policyId, System.Text.Json.JsonElement policy, CancellationToken cancellationToken);

    /// <summary>
    /// The tenancy resources in the project's partition as stored (the project, memberships, client applications,
    /// access policies): a page of at most <paramref name="count"/> and the next page's token. Secrets are stored beside these
    /// resources, never in them, so none is returned.
    /// </summary>
    Task<(IReadOnlyList<System.Text.Json.JsonElement> Resources, string? Next)> PageAsync(string projectId, int count, string? page, CancellationToken cancellationToken);

    /// <summary>Adds a membership to an existing project.</summary>
    Task CreateMembershipAsync(ProjectMembership membership, CancellationToken cancellationToken);

    /// <summary>Deletes a membership of <paramref name="projectId"/>; false when there is none.</summary>
    Task<bool> DeleteMembershipAsync(string projectId, string membershipId, CancellationToken cancellationToken);

    /// <summary>Replaces the secret hashes of a client application (bootstrap and rotation).</summary>
    Task UpdateClientSecretAsync(ClientCredentials client, CancellationToken cancellationToken);
}
