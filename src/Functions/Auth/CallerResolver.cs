using System.Collections.Concurrent;
using System.Text.Json;
using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Resolves a token's project and membership to a <see cref="Caller"/> with its effective access policy, caching
/// each answer (keyed by project first) for <see cref="AuthOptions.MembershipCacheDuration"/>. Every change to what
/// a caller may do (a policy, a membership, a project's links or settings, the types a linked project exports) tells
/// this resolver, which forgets the affected entries at once: the next request on this instance sees the change;
/// other instances see it when their entries expire.
/// </summary>
public sealed class CallerResolver(ITenancyStore store, IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string ProjectId, string MembershipId), (Caller? Caller, DateTimeOffset Expires)> _cache = new();

    /// <summary>
    /// Counts the changes this instance has been told about. A caller read before a change that lands while it is being
    /// resolved is answered but not cached, so a stale read cannot outlive the change it raced with.
    /// </summary>
    private long _changes;

    /// <summary>The caller, or null when the membership (or its project) no longer exists.</summary>
    public async Task<Caller?> ResolveAsync(string projectId, string membershipId, CancellationToken cancellationToken)
    {
        var key = (projectId, membershipId);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Expires > now)
        {
            return cached.Caller;
        }

        var changes = Interlocked.Read(ref _changes);
        var membership = await store.GetMembershipAsync(projectId, membershipId, cancellationToken);
        var project = membership is null ? null : await store.GetProjectAsync(projectId, cancellationToken);
        var caller = project is null || membership is null ? null : new Caller(projectId, membership, project.SuperAdmin,
            await LinksAsync(project, cancellationToken), await PolicyAsync(membership, cancellationToken))
        {
            InheritAccounts = project.Setting.FirstOrDefault(s => s?.Name == "inheritAccounts")?.ValueBoolean != false,
            Settings = project.Setting,
            AuditRetentionDays = project.Setting.FirstOrDefault(s => s?.Name == Audit.AuditOptions.RetentionSetting)?.ValueDecimal is { } days
                && days is >= Audit.AuditOptions.MinRetentionDays and <= Audit.AuditOptions.MaxRetentionDays ? (int)days : null,
        };
        if (Interlocked.Read(ref _changes) == changes)
        {
            _cache[key] = (caller, now + options.Value.MembershipCacheDuration);
        }

        return caller;
    }

    /// <summary>
    /// The membership's effective policy, read afresh (not cached). A policy that is missing or no longer passes validation contributes no rule,
    /// so it denies (fail closed).
    /// </summary>
    public async Task<EffectivePolicy> PolicyAsync(ProjectMembership membership, CancellationToken cancellationToken)
    {
        var policies = new Dictionary<string, AccessPolicy?>(StringComparer.Ordinal);
        var references = (membership.Access ?? []).Select(a => a?.Policy).Append(membership.AccessPolicy);
        foreach (var id in references.Where(r => r?.Value is not null).Select(r => r!.Id).Distinct(StringComparer.Ordinal))
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
    /// Forgets this instance's cached callers of <paramref name="projectId"/> after a change to the project, its
    /// memberships, its policies or its links.
    /// </summary>
    public void Forget(string projectId) => ForgetWhere(key => key.ProjectId == projectId, _ => false);

    /// <summary>
    /// Forgets this instance's cached callers of every project that links to <paramref name="projectId"/>, after a
    /// change to what it exports (and the project's own callers).
    /// </summary>
    public void ForgetLinksTo(string projectId) =>
        ForgetWhere(key => key.ProjectId == projectId, caller => caller.Links.Any(l => l.ProjectId == projectId));

    private void ForgetWhere(Func<(string ProjectId, string MembershipId), bool> key, Func<Caller, bool> caller)
    {
        Interlocked.Increment(ref _changes);
        foreach (var (k, entry) in _cache)
        {
            if (key(k) || (entry.Caller is { } c && caller(c)))
            {
                _cache.TryRemove(k, out _);
            }
        }
    }
}
