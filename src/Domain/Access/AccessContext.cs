using Enclave.Domain.Fhir;

namespace Enclave.Domain.Access;

/// <summary>
/// Everything that decides what one caller's FHIR interactions may reach, built from its token and membership, never
/// from the request: the projects (its own, and linked ones read-only), its effective access policy, whether it
/// administers the project (only admins set <c>meta.accounts</c>), and whether resources about a patient inherit the
/// patient's accounts (the project's <c>inheritAccounts</c> setting, on unless set to false).
/// </summary>
/// <param name="Scope">The projects the caller reaches.</param>
/// <param name="Policy">The caller's effective access policy.</param>
/// <param name="ProjectAdmin">Whether the caller administers the project.</param>
/// <param name="InheritAccounts">Whether resources in a patient's compartment take the patient's accounts.</param>
public sealed record AccessContext(ProjectScope Scope, EffectivePolicy Policy, bool ProjectAdmin, bool InheritAccounts = true)
{
    /// <summary>An admin of <paramref name="projectId"/> without a policy (tests and tools).</summary>
    public static AccessContext AdminOf(string projectId) => new(ProjectScope.Of(projectId), EffectivePolicy.Unrestricted, ProjectAdmin: true);
}
