namespace Enclave.Domain.Fhir;

/// <summary>
/// The projects a caller's FHIR interactions reach: its own project (read and write) and the projects it links to
/// (read only). Built from the caller's token, never from the request.
/// </summary>
/// <param name="ProjectId">The caller's project.</param>
/// <param name="LinkedProjectIds">Projects whose resources the caller may read and reference, never write.</param>
public sealed record ProjectScope(string ProjectId, IReadOnlyList<string> LinkedProjectIds)
{
    /// <summary>A scope of one project with no links.</summary>
    public static ProjectScope Of(string projectId) => new(projectId, []);
}
