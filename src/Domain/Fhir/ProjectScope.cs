using Enclave.Domain.Search;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The projects a caller's FHIR interactions reach: its own project (read and write) and the projects it links to
/// (read only, and only the resource types each exports). Built from the caller's token, never from the request.
/// </summary>
/// <param name="ProjectId">The caller's project.</param>
/// <param name="Links">Projects whose resources the caller may read and reference, never write.</param>
public sealed record ProjectScope(string ProjectId, IReadOnlyList<LinkedProject> Links)
{
    /// <summary>A scope of one project with no links.</summary>
    public static ProjectScope Of(string projectId) => new(projectId, []);

    /// <summary>The caller's own project alone: what writes, conditional matches and chains reach.</summary>
    public ProjectScope OwnOnly => Links.Count == 0 ? this : Of(ProjectId);

    /// <summary>The linked projects whose resources of <paramref name="resourceType"/> the caller may read.</summary>
    public IEnumerable<string> LinkedProjectsExporting(string resourceType) =>
        Links.Where(l => l.ExportedResourceTypes.Count == 0 || l.ExportedResourceTypes.Contains(resourceType)).Select(l => l.ProjectId);

    /// <summary>
    /// The linked projects a search of <paramref name="request"/> reaches, each with the types of the request it exports
    /// (null: every type the request names). Every store answers a search over exactly these and the own project.
    /// </summary>
    public IReadOnlyList<(string ProjectId, IReadOnlyList<string>? Types)> LinksReached(SearchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return [.. Links.Select(link => (link.ProjectId, Types: Exported(link, request))).Where(l => l.Types is not { Count: 0 })];
    }

    private static IReadOnlyList<string>? Exported(LinkedProject link, SearchRequest request) =>
        link.ExportedResourceTypes.Count == 0 ? null
            : !request.IsSystemSearch ? link.ExportedResourceTypes.Contains(request.ResourceType) ? null : []
            : request.Types.Count == 0 ? [.. link.ExportedResourceTypes.Order(StringComparer.Ordinal)]
            : [.. request.Types.Where(link.ExportedResourceTypes.Contains)];
}

/// <summary>A project linked to the caller's: its id and the resource types it exports (all when empty).</summary>
/// <param name="ProjectId">The linked project.</param>
/// <param name="ExportedResourceTypes">The types it lets linking projects read; empty means all.</param>
public sealed record LinkedProject(string ProjectId, IReadOnlySet<string> ExportedResourceTypes);
