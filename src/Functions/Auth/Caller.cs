using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;

namespace Enclave.Functions.Auth;

/// <summary>
/// Who is calling: the membership the access token is bound to, resolved from the store (briefly cached).
/// The project comes from here only — never from a request's body, header or query.
/// </summary>
/// <param name="ProjectId">The token's project.</param>
/// <param name="Membership">The token's membership.</param>
/// <param name="SuperAdmin">Whether the project is the system project.</param>
/// <param name="Links">The projects the caller's project links to (readable, never writable) with the types they export.</param>
/// <param name="Policy">The membership's effective access policy, parameters substituted.</param>
public sealed record Caller(string ProjectId, ProjectMembership Membership, bool SuperAdmin, IReadOnlyList<LinkedProject> Links, EffectivePolicy Policy)
{
    /// <summary>The projects the caller's FHIR interactions reach.</summary>
    public ProjectScope Scope => new(ProjectId, Links);

    /// <summary>Whether resources about a patient inherit the patient's accounts (the project setting <c>inheritAccounts</c>).</summary>
    public bool InheritAccounts { get; init; } = true;

    /// <summary>The project's settings as stored (its quotas are read from them, <see cref="Domain.Metering.ProjectQuotas.For"/>).</summary>
    public IReadOnlyList<ProjectSetting> Settings { get; init; } = [];

    /// <summary>How many days the project keeps audit records (the project setting <c>auditRetentionDays</c>); null: the configured default.</summary>
    public int? AuditRetentionDays { get; init; }

    /// <summary>What decides the caller's FHIR interactions.</summary>
    public AccessContext Access => new(Scope, Policy, Membership.Admin, InheritAccounts);

    /// <summary>Whether the caller administers <paramref name="projectId"/>.</summary>
    public bool AdministersProject(string projectId) => Membership.Admin && ProjectId == projectId;
}
