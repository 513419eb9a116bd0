namespace Enclave.Functions.Invocation;

/// <summary>The roles a function can require (<see cref="RequiresAttribute"/>).</summary>
public enum CallerRole
{
    /// <summary>
    /// An admin of the caller's project; on a route with a <c>{projectId}</c>, an admin of that project (a token never
    /// administers another project).
    /// </summary>
    ProjectAdmin,

    /// <summary>A member of the system project (a super admin).</summary>
    SuperAdmin,
}
