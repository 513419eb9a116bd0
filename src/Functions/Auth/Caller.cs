using Enclave.Domain.Tenancy;

namespace Enclave.Functions.Auth;

/// <summary>
/// Who is calling: the membership the access token is bound to, resolved from the store (briefly cached).
/// The project comes from here only — never from a request's body, header or query.
/// </summary>
/// <param name="ProjectId">The token's project.</param>
/// <param name="Membership">The token's membership.</param>
/// <param name="SuperAdmin">Whether the project is the system project.</param>
public sealed record Caller(string ProjectId, ProjectMembership Membership, bool SuperAdmin)
{
    /// <summary>Whether the caller administers <paramref name="projectId"/>.</summary>
    public bool AdministersProject(string projectId) => Membership.Admin && ProjectId == projectId;
}
