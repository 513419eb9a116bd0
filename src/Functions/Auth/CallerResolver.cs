using System.Collections.Concurrent;
using System.Text.Json;
using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Resolves a token's project and membership to a <see cref="Caller"/> with its effective access policy, caching
/// each answer (keyed by project first) for <see cref="AuthOptions.MembershipCacheDuration"/>: a removed membership
/// or a changed policy takes effect within it (at once on the instance that made the change).
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
            await LinksAsync(project, cancellationToken), await PolicyAsync(membership, cancellationToken))
        {
            InheritAccounts = project.Setting.FirstOrDefault(s => s.Name == "inheritAccounts")?.ValueBoolean != false,
        };
        _cache[key] = (caller, now + options.Value.MembershipCacheDuration);
        return caller;
    }

    /// <summary>
    /// The membership's effective policy, read afresh (not cached). A policy that is missing or no longer passes validation contributes no rule,
    /// so it denies (fail closed).
    /// </summary>
    public async Task<EffectivePolicy> PolicyAsync(ProjectMembership membership, CancellationToken cancellationToken)
    {
        var policies = new Dictionary<string, AccessPolicy?>(StringComparer.Ordinal);
        foreach (var id in membership.Access.Select(a => a.Policy.Id).Append(membership.AccessPolicy?.Id).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            policies[id] = await store.GetAccessPolicyAsync(membership.Project.Id, id, cancellationToken) is JsonElement json
                ? AccessPolicyValidator.Validate(json).Policy
                : null;
        }

        return EffectivePolicy.For(membership, id => policies.GetValueOrDefault(id));
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
