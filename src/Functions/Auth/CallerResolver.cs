using System.Collections.Concurrent;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Resolves a token's project and membership to a <see cref="Caller"/>, caching each answer (keyed by project
/// first) for <see cref="AuthOptions.MembershipCacheDuration"/>: a removed membership stops working within it.
/// </summary>
public sealed class CallerResolver(ITenancyStore store, IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (Caller? Caller, DateTimeOffset Expires)> _cache = new();

    /// <summary>The caller, or null when the membership (or its project) no longer exists.</summary>
    public async Task<Caller?> ResolveAsync(string projectId, string membershipId, CancellationToken cancellationToken)
    {
        var key = $"{projectId}/{membershipId}";
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Caller;
        }

        var membership = await store.GetMembershipAsync(projectId, membershipId, cancellationToken);
        var project = membership is null ? null : await store.GetProjectAsync(projectId, cancellationToken);
        var caller = project is null || membership is null ? null : new Caller(projectId, membership, project.SuperAdmin,
            await LinksAsync(project, cancellationToken));
        _cache[key] = (caller, now + options.Value.MembershipCacheDuration);
        return caller;
    }

    /// <summary>The project's links that still exist, each with the resource types it exports.</summary>
    private async Task<IReadOnlyList<LinkedProject>> LinksAsync(Project project, CancellationToken cancellationToken)
    {
        var links = new List<LinkedProject>();
        foreach (var id in project.Link.Select(l => l.Project.Id).Where(id => id != project.Id).Distinct(StringComparer.Ordinal))
        {
            if (await store.GetProjectAsync(id, cancellationToken) is { } linked)
            {
                links.Add(new LinkedProject(id, linked.ExportedResourceType.ToHashSet(StringComparer.Ordinal)));
            }
        }

        return links;
    }

    /// <summary>
    /// Drops this instance's cached callers of <paramref name="projectId"/> after a change to the project; other
    /// instances see the change when their entries expire.
    /// </summary>
    public void Forget(string projectId)
    {
        foreach (var key in _cache.Keys.Where(k => k.StartsWith(projectId + "/", StringComparison.Ordinal)))
        {
            _cache.TryRemove(key, out _);
        }
    }
}
