using System.Globalization;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Fhir;
using Resource = Hl7.Fhir.Model.Resource;

namespace Enclave.Storage.Memory;

/// <summary>
/// The resource store in memory, for tests of the domain without a database: the same port as
/// <see cref="CosmosResourceStore"/>, held to the same contract (tests/Storage.Tests, run against both). Searches use
/// the in-memory evaluator (<see cref="InMemorySearch"/>), the oracle the Cosmos query translation is tested against;
/// commits are atomic under one lock, with the Cosmos store's optimistic-concurrency and batch-size rules.
/// <paramref name="time"/> is what <c>ap</c> search dates are near.
/// </summary>
public sealed class MemoryResourceStore(TimeProvider time) : IResourceStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ProjectData> _projects = new(StringComparer.Ordinal);

    private DateTimeOffset Now => time.GetUtcNow();

    /// <inheritdoc />
    public IProjectResources For(ProjectScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrEmpty(scope.ProjectId);
        return new View(this, scope);
    }

    /// <summary>
    /// A store that starts with what this one holds now; later writes to either stay its own. Tests seed one world
    /// (indexing is the costly part of a write) and run each case on a copy.
    /// </summary>
    public MemoryResourceStore Copy()
    {
        var copy = new MemoryResourceStore(time);
        lock (_lock)
        {
            foreach (var (projectId, data) in _projects)
            {
                copy._projects[projectId] = data.Copy();
            }
        }

        return copy;
    }

    /// <summary>One project's documents: current versions (with what searches need), versions, guards.</summary>
    private sealed class ProjectData
    {
        /// <summary>The entries are immutable records (and their parsed resources are never changed), so a shallow copy is a copy.</summary>
        public ProjectData Copy()
        {
            var copy = new ProjectData();
            foreach (var (key, value) in Currents)
            {
                copy.Currents[key] = value;
            }

            foreach (var (key, value) in Versions)
            {
                copy.Versions[key] = value;
            }

            foreach (var (key, value) in Guards)
            {
                copy.Guards[key] = value;
            }

            copy.Audit.AddRange(Audit);
            return copy;
        }

        public Dictionary<string, Current> Currents { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, VersionEntry> Versions { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> Guards { get; } = new(StringComparer.Ordinal);

        /// <summary>The audit records commits carried, in commit order.</summary>
        public List<AuditEntry> Audit { get; } = [];
    }

    /// <summary>The audit records the commits of <paramref name="projectId"/> carried, in commit order.</summary>
    public IReadOnlyList<AuditEntry> AuditRecords(string projectId) => Locked(() => (IReadOnlyList<AuditEntry>?)Data(projectId)?.Audit.ToList()) ?? [];

    /// <summary>A current version, parsed and indexed once at commit (null for a deletion).</summary>
    private sealed record Current(StoredResource Stored, Resource? Parsed, ResourceIndex? Index);

    /// <summary>A version and when the next one replaced it.</summary>
    private sealed record VersionEntry(StoredResource Stored, DateTimeOffset? SupersededAt)
    {
        /// <summary>The compartments the version was in when it was written (none for a deletion).</summary>
        public IReadOnlyList<string> Compartments { get; init; } = [];
    }

    private static string ETag() => $"\"{Guid.NewGuid():N}\"";

    private static string VersionKey(string type, string id, int version) => $"{type}/{id}/{version.ToString(CultureInfo.InvariantCulture)}";

    private T Locked<T>(Func<T> read)
    {
        lock (_lock)
        {
            return read();
        }
    }

    private ProjectData? Data(string projectId) => _projects.GetValueOrDefault(projectId);

    private sealed class View(MemoryResourceStore store, ProjectScope scope) : IProjectResources
    {
        public ProjectScope Scope => scope;

        public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken) =>
            Task.FromResult(store.Locked(() => store.Data(scope.ProjectId)?.Currents.GetValueOrDefault($"{resourceType}/{id}")?.Stored));

        public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken) =>
            Task.FromResult(store.Locked(() => store.Data(scope.ProjectId)?.Versions.GetValueOrDefault(VersionKey(resourceType, id, versionId))?.Stored));

        public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string? resourceType, string? id,
            DateTimeOffset? since, DateRange? at, int count, string? page, CancellationToken cancellationToken)
        {
            var versions = store.Locked(() => (store.Data(scope.ProjectId)?.Versions.Values.AsEnumerable() ?? [])
                .Where(v => (resourceType is null || v.Stored.ResourceType == resourceType) && (id is null || v.Stored.Id == id)
                    && (since is null || v.Stored.LastUpdated >= since)
                    && (at is not { } range || (v.Stored.LastUpdated <= range.High && (v.SupersededAt is null || v.SupersededAt > range.Low))))
                .Select(v => v.Stored)
                .OrderByDescending(v => v.LastUpdated).ThenByDescending(v => v.VersionId)
                .ToList());
            return Task.FromResult(Page(versions, count, page));
        }

        public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> VersionsAsync(string resourceType, DateTimeOffset upTo, bool currentOnly, int count,
            string? page, CancellationToken cancellationToken)
        {
            var versions = store.Locked(() => (store.Data(scope.ProjectId)?.Versions.Values.AsEnumerable() ?? [])
                .Where(v => v.Stored.ResourceType == resourceType && v.Stored.LastUpdated <= upTo
                    && (!currentOnly || (!v.Stored.Deleted && (v.SupersededAt is null || v.SupersededAt > upTo))))
                .OrderBy(v => v.Stored.Id, StringComparer.Ordinal).ThenBy(v => v.Stored.VersionId)
                .Select(v => v.Stored with { SupersededAt = v.SupersededAt })
                .ToList());
            return Task.FromResult(Page(versions, count, page));
        }

        public Task<(int Removed, IReadOnlyList<string> Resources)> ExpungeVersionsInAsync(string compartment, int limit, CancellationToken cancellationToken)
        {
            lock (store._lock)
            {
                if (store.Data(scope.ProjectId) is not { } data)
                {
                    return Task.FromResult<(int, IReadOnlyList<string>)>((0, []));
                }

                var found = data.Versions.Where(v => v.Value.Compartments.Contains(compartment, StringComparer.Ordinal)).Take(limit).ToList();
                found.ForEach(v => data.Versions.Remove(v.Key));
                return Task.FromResult<(int, IReadOnlyList<string>)>((found.Count, [.. found.Select(v => v.Value.Stored.Reference).Distinct(StringComparer.Ordinal)]));
            }
        }

        public Task<bool> AnyAsync(CancellationToken cancellationToken) =>
            Task.FromResult(store.Locked(() => store.Data(scope.ProjectId) is { } data && (data.Currents.Count > 0 || data.Versions.Count > 0)));

        public Task RestoreAsync(IReadOnlyList<StoredResource> versions, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(versions);
            var operations = versions.Sum(v => v.SupersededAt is null ? 2 : 1);
            if (operations > CosmosResourceStore.MaxBatchOperations)
            {
                throw new CommitTooLargeException(operations, CosmosResourceStore.MaxBatchOperations);
            }

            var prepared = versions.Select(v => (Version: v, Current: v.SupersededAt is null ? Prepare(v) : null)).ToList();
            lock (store._lock)
            {
                var data = store.Data(scope.ProjectId) ?? new ProjectData();
                store._projects[scope.ProjectId] = data;
                foreach (var (version, current) in prepared)
                {
                    data.Versions[VersionKey(version.ResourceType, version.Id, version.VersionId)] = new(version with { Index = null, SupersededAt = null, ETag = ETag() }, version.SupersededAt)
                    {
                        Compartments = version.Index?.Compartments ?? [],
                    };
                    if (current is not null)
                    {
                        data.Currents[version.Reference] = current with { Stored = current.Stored with { ETag = ETag() } };
                    }
                }
            }

            return Task.CompletedTask;
        }

        public Task<(IReadOnlyList<StoredResource> Resources, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var now = store.Now;
            var matches = InMemorySearch.Order(request, Reached(request).Where(c => Matches(request, c, now)), c => (c.Parsed!, c.Stored.LastUpdated, c.Index!))
                .Select(c => c.Stored).ToList();
            return Task.FromResult(Page(matches, request.Count, page));
        }

        public Task<int> CountAsync(SearchRequest request, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var now = store.Now;
            return Task.FromResult(Reached(request).Count(c => Matches(request, c, now)));
        }

        public Task<IReadOnlyList<string>> SelectReferencesAsync(SearchRequest request, string? referenceCode, int limit, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(request);
            var now = store.Now;
            var matches = Live(scope.ProjectId).Where(c => Matches(request, c, now));
            IReadOnlyList<string> found = referenceCode is null
                ? [.. matches.Select(c => c.Stored.Reference).Take(limit)]
                : [.. matches.SelectMany(c => c.Index!.Of(referenceCode)).Select(e => e.Reference).OfType<string>().Distinct(StringComparer.Ordinal).Take(limit)];
            return Task.FromResult(found);
        }

        public Task<IReadOnlyList<StoredResource>> ReadManyAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(references);
            var wanted = references.ToHashSet(StringComparer.Ordinal);
            IReadOnlyList<StoredResource> found = [.. Live(scope.ProjectId).Where(c => wanted.Contains(c.Stored.Reference)).Select(c => c.Stored)];
            return Task.FromResult(found);
        }

        public async Task<IReadOnlySet<string>> ExistingAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken) =>
            (await ReadManyAsync(references, cancellationToken)).Select(r => r.Reference).ToHashSet(StringComparer.Ordinal);

        public Task<string?> ReadGuardAsync(string key, CancellationToken cancellationToken) =>
            Task.FromResult(store.Locked(() => store.Data(scope.ProjectId)?.Guards.GetValueOrDefault(key)));

        public Task<int> ExpungeAsync(string resourceType, string id, CancellationToken cancellationToken)
        {
            lock (store._lock)
            {
                if (store.Data(scope.ProjectId) is not { } data)
                {
                    return Task.FromResult(0);
                }

                var versions = data.Versions.Keys.Where(k => k.StartsWith($"{resourceType}/{id}/", StringComparison.Ordinal)).ToList();
                versions.ForEach(k => data.Versions.Remove(k));
                return Task.FromResult(versions.Count + (data.Currents.Remove($"{resourceType}/{id}") ? 1 : 0));
            }
        }

        public Task<IReadOnlyList<StoredResource>?> CommitAsync(IReadOnlyList<ResourceWrite> writes, IReadOnlyList<CommitGuard> guards,
            IReadOnlyList<AuditEntry> audit, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(writes);
            ArgumentNullException.ThrowIfNull(guards);
            ArgumentNullException.ThrowIfNull(audit);

            // The Cosmos store's limit (one TransactionalBatch), so that a commit one store takes the other takes too.
            var operations = writes.Sum(w => w.Replacing is null ? 2 : 3) + guards.Count + audit.Count;
            if (operations > CosmosResourceStore.MaxBatchOperations)
            {
                throw new CommitTooLargeException(operations, CosmosResourceStore.MaxBatchOperations);
            }

            var prepared = writes.Select(w => (w.Version, w.Replacing, Current: Prepare(w.Version))).ToList();
            lock (store._lock)
            {
                var data = store.Data(scope.ProjectId) ?? new ProjectData();
                if (!Applicable(data, prepared, guards))
                {
                    return Task.FromResult<IReadOnlyList<StoredResource>?>(null);
                }

                store._projects[scope.ProjectId] = data;
                var stored = new List<StoredResource>(writes.Count);
                foreach (var (version, replacing, current) in prepared)
                {
                    var etag = ETag();
                    data.Currents[version.Reference] = current with { Stored = current.Stored with { ETag = etag } };
                    data.Versions[VersionKey(version.ResourceType, version.Id, version.VersionId)] = new(version with { Index = null, ETag = ETag() }, null)
                    {
                        Compartments = version.Index?.Compartments ?? [],
                    };
                    if (replacing is not null && data.Versions.GetValueOrDefault(VersionKey(replacing.ResourceType, replacing.Id, replacing.VersionId)) is { } replaced)
                    {
                        data.Versions[VersionKey(replacing.ResourceType, replacing.Id, replacing.VersionId)] = replaced with { SupersededAt = version.LastUpdated };
                    }

                    stored.Add(version with { ETag = etag });
                }

                foreach (var guard in guards)
                {
                    data.Guards[guard.Key] = ETag();
                }

                data.Audit.AddRange(audit);
                return Task.FromResult<IReadOnlyList<StoredResource>?>(stored);
            }
        }

        /// <summary>
        /// Whether every write and guard still holds, in order, as one TransactionalBatch checks them: a new resource has no
        /// current document, a replaced one is still the version read (same ETag), a guard is as read.
        /// </summary>
        private static bool Applicable(ProjectData data, List<(StoredResource Version, StoredResource? Replacing, Current Current)> writes, IReadOnlyList<CommitGuard> guards)
        {
            var written = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (version, replacing, _) in writes)
            {
                var current = data.Currents.GetValueOrDefault(version.Reference);
                var fits = replacing is null ? current is null : current is not null && current.Stored.ETag == replacing.ETag;
                if (!fits || !written.Add(version.Reference) || data.Versions.ContainsKey(VersionKey(version.ResourceType, version.Id, version.VersionId)))
                {
                    return false;
                }
            }

            return guards.All(g => data.Guards.GetValueOrDefault(g.Key) == g.ETag)
                && guards.Select(g => g.Key).Distinct(StringComparer.Ordinal).Count() == guards.Count;
        }

        /// <summary>A version as a current document: parsed and indexed outside the lock (null index for a deletion).</summary>
        private static Current Prepare(StoredResource version)
        {
            if (version.Deleted || !ResourceParser.TryParse(version.Json, out var parsed, out _))
            {
                return new(version with { Index = null }, null, null);
            }

            return new(version with { Index = null }, parsed, version.Index ?? ResourceIndexer.Index(parsed!));
        }

        private static bool Matches(SearchRequest request, Current current, DateTimeOffset now) =>
            InMemorySearch.Matches(request, current.Parsed!, current.Stored.LastUpdated, now, current.Index);

        /// <summary>The live (not deleted) current resources of <paramref name="projectId"/>, copied under the lock.</summary>
        private List<Current> Live(string projectId) =>
            store.Locked(() => (store.Data(projectId)?.Currents.Values.AsEnumerable() ?? []).Where(c => c.Parsed is not null && !c.Stored.Deleted).ToList());

        /// <summary>What a search reaches: the project and, of each linked project, the types of the request it exports.</summary>
        private IEnumerable<Current> Reached(SearchRequest request) =>
            Live(scope.ProjectId).Concat(scope.LinksReached(request)
                .SelectMany(link => Live(link.ProjectId).Where(c => link.Types is null || link.Types.Contains(c.Stored.ResourceType))));

        /// <summary>A page of <paramref name="items"/>: the page token is the offset of its first item.</summary>
        private static (IReadOnlyList<StoredResource>, string?) Page(List<StoredResource> items, int count, string? page)
        {
            var offset = 0;
            if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset > items.Count))
            {
                throw new InvalidSearchException("The page token is not valid.");
            }

            var size = Math.Max(count, 1);
            var next = offset + size < items.Count ? (offset + size).ToString(CultureInfo.InvariantCulture) : null;
            return ([.. items.Skip(offset).Take(size)], next);
        }
    }
}
