namespace Enclave.Domain.Export;

/// <summary>Which Bulk Data kick-off a job came from, and so what it may hold.</summary>
public enum ExportLevel
{
    /// <summary><c>[base]/$export</c>: every resource the caller may search.</summary>
    System,

    /// <summary><c>[base]/Patient/$export</c>: the resources in patient compartments (the patients themselves included).</summary>
    Patient,

    /// <summary><c>[base]/Group/[id]/$export</c>: the resources in the compartments of the group's member patients.</summary>
    Group,

    /// <summary><c>[base]/$backup</c>: every resource of the project (optionally every version) and its tenancy resources.</summary>
    Backup,
}
