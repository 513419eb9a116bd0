using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Storage.Tests.Fhir;

/// <summary>
/// What every <see cref="IResourceStore"/> must do, through the port alone: run once against the Cosmos store (on the
/// emulator) and once against the memory store, so the memory store the domain tests use behaves as production does.
/// Each test works in projects of its own (fresh ids), so the suite shares one store per class.
/// </summary>
public abstract class ResourceStoreContract
{
    /// <summary>The store under test.</summary>
    protected abstract IResourceStore Store { get; }

    private static string NewProject() => Guid.NewGuid().ToString("N");

    private IProjectResources In(string project) => Store.For(ProjectScope.Of(project));

    /// <summary>A version ready to commit, its meta stamped and its index extracted, as the repository builds it.</summary>
    protected static StoredResource Version(Resource resource, int version, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.Meta = new Meta { VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture), LastUpdated = at };
        return new StoredResource(resource.TypeName, resource.Id!, version, at, false, JsonSerializer.Serialize(resource, ResourceParser.Options), string.Empty)
        {
            Index = ResourceIndexer.Index(resource),
        };
    }

    private static StoredResource Deletion(StoredResource current, DateTimeOffset at) =>
        new(current.ResourceType, current.Id, current.VersionId + 1, at, true, string.Empty, string.Empty);

    private static SearchRequest Search(string type, params (string Code, string Value)[] query)
    {
        var (request, refusal) = SearchParser.Parse(type, query.Select(p => new KeyValuePair<string, string>(p.Code, p.Value)), strict: true);
        Assert.Null(refusal);
        return request!;
    }

    private async Task<StoredResource> CreateAsync(string project, Resource resource, DateTimeOffset at) =>
        (await In(project).CommitAsync([new ResourceWrite(Version(resource, 1, at), null)], [], [], default))!.Single();

    [Fact]
    public async Task A_commit_is_read_back_as_current_and_as_versions()
    {
        var project = NewProject();
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var v1 = await CreateAsync(project, new Patient { Id = "p1", Active = true }, t0);
        var v2 = (await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p1", Active = false }, 2, t0.AddMinutes(1)), v1)], [], [], default))!.Single();

        var current = await In(project).ReadAsync("Patient", "p1", default);
        var first = await In(project).ReadVersionAsync("Patient", "p1", 1, default);

        Assert.NotEmpty(v1.ETag);
        Assert.NotEqual(v1.ETag, v2.ETag);
        Assert.Equal((2, v2.ETag, t0.AddMinutes(1)), (current!.VersionId, current.ETag, current.LastUpdated));
        Assert.False(JsonDocument.Parse(current.Json).RootElement.GetProperty("active").GetBoolean());
        Assert.True(JsonDocument.Parse(first!.Json).RootElement.GetProperty("active").GetBoolean());
        Assert.Null(await In(project).ReadVersionAsync("Patient", "p1", 3, default));
        Assert.Null(await In(project).ReadAsync("Patient", "p2", default));
        Assert.Null(await In(NewProject()).ReadAsync("Patient", "p1", default));
    }

    [Fact]
    public async Task A_commit_is_all_or_nothing_and_a_stale_replace_or_guard_fails_it()
    {
        var project = NewProject();
        var now = DateTimeOffset.UtcNow;
        var existing = await CreateAsync(project, new Patient { Id = "p1", Active = true }, now);
        var guard = await In(project).ReadGuardAsync("create:Patient?identifier=x", default);

        var stale = await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p2", Active = true }, 1, now), null),
             new ResourceWrite(Version(new Patient { Id = "p1", Active = false }, 2, now), existing with { ETag = "\"stale\"" })], [], [], default);
        var duplicate = await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p1", Active = false }, 1, now), null)], [], [], default);
        var guarded = await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p3", Active = true }, 1, now), null)],
            [new CommitGuard("create:Patient?identifier=x", guard)], [], default);
        var raced = await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p4", Active = true }, 1, now), null)],
            [new CommitGuard("create:Patient?identifier=x", guard)], [], default);
        var taken = await In(project).ReadGuardAsync("create:Patient?identifier=x", default);
        var after = await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p5", Active = true }, 1, now), null)],
            [new CommitGuard("create:Patient?identifier=x", taken)], [], default);
        var tooLarge = await Assert.ThrowsAsync<CommitTooLargeException>(() => In(project).CommitAsync(
            [.. Enumerable.Range(0, 51).Select(i => new ResourceWrite(Version(new Patient { Id = $"big{i}", Active = true }, 1, now), null))], [], [], default));

        Assert.Null(guard);
        Assert.Null(stale);
        Assert.Null(duplicate);
        Assert.Null(await In(project).ReadAsync("Patient", "p2", default));
        Assert.Equal(1, (await In(project).ReadAsync("Patient", "p1", default))!.VersionId);
        Assert.NotNull(guarded);
        Assert.Null(raced);
        Assert.Null(await In(project).ReadAsync("Patient", "p4", default));
        Assert.NotNull(taken);
        Assert.NotNull(after);
        Assert.Equal(102, tooLarge.Operations);
        Assert.Null(await In(project).ReadAsync("Patient", "big0", default));
    }

    [Fact]
    public async Task Existing_read_many_and_search_see_only_the_project_and_only_live_resources()
    {
        var project = NewProject();
        var other = NewProject();
        var now = DateTimeOffset.UtcNow;
        var live = await CreateAsync(project, new Patient { Id = "live", Gender = AdministrativeGender.Female }, now);
        var gone = await CreateAsync(project, new Patient { Id = "gone", Gender = AdministrativeGender.Female }, now);
        var deleted = (await In(project).CommitAsync([new ResourceWrite(Deletion(gone, now.AddSeconds(1)), gone)], [], [], default))!.Single();
        await CreateAsync(other, new Patient { Id = "elsewhere", Gender = AdministrativeGender.Female }, now);
        var request = Search("Patient", ("gender", "female"));

        var existing = await In(project).ExistingAsync(["Patient/live", "Patient/gone", "Patient/elsewhere", "Patient/never"], default);
        var many = await In(project).ReadManyAsync(["Patient/live", "Patient/gone", "Patient/elsewhere"], default);
        var (found, next) = await In(project).SearchAsync(request, null, default);

        Assert.Equal(["Patient/live"], existing);
        Assert.Equal([live.Id], many.Select(r => r.Id));
        Assert.Equal([live.Id], found.Select(r => r.Id));
        Assert.Null(next);
        Assert.Equal(1, await In(project).CountAsync(request, default));
        Assert.True((await In(project).ReadAsync("Patient", "gone", default))!.Deleted);
        Assert.Equal(2, deleted.VersionId);
        Assert.Empty(await In(project).ReadManyAsync([], default));
        Assert.Empty(await In(project).ExistingAsync([], default));
    }

    [Fact]
    public async Task History_is_newest_first_filtered_and_paged()
    {
        var project = NewProject();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var p1 = await CreateAsync(project, new Patient { Id = "p1" }, t0);
        await CreateAsync(project, new Observation { Id = "o1", Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x") }, t0.AddHours(1));
        var p1v2 = (await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "p1", Active = true }, 2, t0.AddHours(2)), p1)], [], [], default))!.Single();
        await In(project).CommitAsync([new ResourceWrite(Deletion(p1v2, t0.AddHours(3)), p1v2)], [], [], default);

        var (all, _) = await In(project).HistoryAsync(null, null, null, null, 10, null, default);
        var (ofPatient, _) = await In(project).HistoryAsync("Patient", "p1", null, null, 10, null, default);
        var (since, _) = await In(project).HistoryAsync(null, null, t0.AddHours(1), null, 10, null, default);
        var (at, _) = await In(project).HistoryAsync("Patient", null, null, new DateRange(t0.AddMinutes(30), t0.AddMinutes(40)), 10, null, default);
        var (first, next) = await In(project).HistoryAsync(null, null, null, null, 3, null, default);
        var (second, last) = await In(project).HistoryAsync(null, null, null, null, 3, next, default);

        Assert.Equal(["Patient/p1/3", "Patient/p1/2", "Observation/o1/1", "Patient/p1/1"], all.Select(v => $"{v.Reference}/{v.VersionId}"));
        Assert.Equal([3, 2, 1], ofPatient.Select(v => v.VersionId));
        Assert.True(ofPatient[0].Deleted);
        Assert.Equal(3, since.Count);
        Assert.Equal([1], at.Select(v => v.VersionId));
        Assert.Equal(3, first.Count);
        Assert.NotNull(next);
        Assert.Equal(["Patient/p1"], second.Select(v => v.Reference));
        Assert.Null(last);
        await Assert.ThrowsAsync<InvalidSearchException>(() => In(project).HistoryAsync(null, null, null, null, 3, "not a page token", default));
        Assert.Empty((await In(NewProject()).HistoryAsync(null, null, null, null, 10, null, default)).Versions);
    }

    [Fact]
    public async Task Searches_page_newest_first_and_reach_only_the_types_linked_projects_export()
    {
        var project = NewProject();
        var linked = NewProject();
        var t0 = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync(project, new Patient { Id = $"own{i}", Gender = AdministrativeGender.Male }, t0.AddMinutes(i));
        }

        await CreateAsync(linked, new Patient { Id = "shared", Gender = AdministrativeGender.Male }, t0.AddMinutes(10));
        await CreateAsync(linked, new Observation { Id = "private", Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x") }, t0);
        var scope = new ProjectScope(project, [new LinkedProject(linked, new HashSet<string>(["Patient"]))]);
        var male = Search("Patient", ("gender", "male"), ("_count", "2"));

        var pages = new List<string>();
        string? page = null;
        do
        {
            var (resources, next) = await Store.For(scope).SearchAsync(male, page, default);
            Assert.True(resources.Count <= 2);
            pages.AddRange(resources.Select(r => r.Id));
            page = next;
        }
        while (page is not null);

        Assert.Equal(["shared", "own4", "own3", "own2", "own1", "own0"], pages);
        Assert.Equal(6, await Store.For(scope).CountAsync(male, default));
        Assert.Equal(5, await Store.For(scope.OwnOnly).CountAsync(male, default));
        Assert.Empty((await Store.For(scope).SearchAsync(Search("Observation"), null, default)).Resources);
        Assert.Null(await Store.For(scope).ReadAsync("Patient", "shared", default));
        Assert.Equal(scope, Store.For(scope).Scope);
    }

    [Fact]
    public async Task Selected_references_are_the_matches_or_what_they_point_at_in_the_project()
    {
        var project = NewProject();
        var now = DateTimeOffset.UtcNow;
        await CreateAsync(project, new Patient { Id = "a", Name = [new HumanName { Family = "Smith" }] }, now);
        await CreateAsync(project, new Patient { Id = "b", Name = [new HumanName { Family = "Smith" }] }, now);
        await CreateAsync(project, new Patient { Id = "c", Name = [new HumanName { Family = "Jones" }] }, now);
        foreach (var (id, subject) in new[] { ("o1", "a"), ("o2", "a"), ("o3", "c") })
        {
            await CreateAsync(project, new Observation { Id = id, Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x"), Subject = new ResourceReference($"Patient/{subject}") }, now);
        }

        var smiths = await In(project).SelectReferencesAsync(Search("Patient", ("family", "smith")), null, 10, default);
        var subjects = await In(project).SelectReferencesAsync(Search("Observation", ("code", "urn:c|x")), "subject", 10, default);
        var one = await In(project).SelectReferencesAsync(Search("Patient", ("family", "smith")), null, 1, default);

        Assert.Equal(["Patient/a", "Patient/b"], smiths.Order(StringComparer.Ordinal));
        Assert.Equal(["Patient/a", "Patient/c"], subjects.Order(StringComparer.Ordinal));
        Assert.Single(one);
        Assert.Empty(await In(NewProject()).SelectReferencesAsync(Search("Patient", ("family", "smith")), null, 10, default));
    }
    [Fact]
    public async Task Versions_up_to_an_instant_carry_when_they_were_superseded_and_current_ones_leave_out_deletions()
    {
        var project = NewProject();
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var a1 = await CreateAsync(project, new Patient { Id = "a", Active = true }, t0);
        var a2 = (await In(project).CommitAsync([new ResourceWrite(Version(new Patient { Id = "a", Active = false }, 2, t0.AddMinutes(2)), a1)], [], [], default))!.Single();
        var b1 = await CreateAsync(project, new Patient { Id = "b" }, t0.AddMinutes(1));
        await In(project).CommitAsync([new ResourceWrite(Deletion(b1, t0.AddMinutes(3)), b1)], [], [], default);
        await CreateAsync(project, new Observation { Id = "o", Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x") }, t0);

        async Task<List<StoredResource>> AllAsync(DateTimeOffset upTo, bool currentOnly)
        {
            var found = new List<StoredResource>();
            string? page = null;
            do
            {
                var (versions, next) = await In(project).VersionsAsync("Patient", upTo, currentOnly, 1, page, default);
                Assert.True(versions.Count <= 1);
                found.AddRange(versions);
                page = next;
            }
            while (page is not null);
            return [.. found.OrderBy(v => v.Id, StringComparer.Ordinal).ThenBy(v => v.VersionId)];
        }

        var every = await AllAsync(t0.AddMinutes(10), currentOnly: false);
        Assert.Equal([("a", 1, (DateTimeOffset?)t0.AddMinutes(2), false), ("a", 2, null, false), ("b", 1, t0.AddMinutes(3), false), ("b", 2, null, true)],
            every.Select(v => (v.Id, v.VersionId, v.SupersededAt, v.Deleted)));
        Assert.Equal(a2.Json, every[1].Json);
        Assert.Equal([("a", 2)], (await AllAsync(t0.AddMinutes(10), currentOnly: true)).Select(v => (v.Id, v.VersionId)));
        // Between a's update and b's deletion, the current versions were a/2 and b/1; a/1 was already superseded.
        Assert.Equal([("a", 2), ("b", 1)], (await AllAsync(t0.AddMinutes(2.5), currentOnly: true)).Select(v => (v.Id, v.VersionId)));
        Assert.Equal([("a", 1), ("b", 1)], (await AllAsync(t0.AddMinutes(1.5), currentOnly: false)).Select(v => (v.Id, v.VersionId)));
    }

    [Fact]
    public async Task A_restore_puts_versions_back_as_they_were_and_repeating_it_changes_nothing()
    {
        var project = NewProject();
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        Assert.False(await In(project).AnyAsync(default));
        var v1 = Version(new Patient { Id = "a", Gender = AdministrativeGender.Female }, 1, t0) with { SupersededAt = t0.AddMinutes(1), Index = null };
        var v2 = Version(new Patient { Id = "a", Gender = AdministrativeGender.Male }, 2, t0.AddMinutes(1));
        var gone1 = Version(new Patient { Id = "b" }, 1, t0) with { SupersededAt = t0.AddMinutes(2), Index = null };
        var gone2 = new StoredResource("Patient", "b", 2, t0.AddMinutes(2), true, string.Empty, string.Empty);

        await In(project).RestoreAsync([v1, v2, gone1, gone2], default);
        await In(project).RestoreAsync([v2, v1], default);

        Assert.True(await In(project).AnyAsync(default));
        Assert.Equal((2, v2.Json), ((await In(project).ReadAsync("Patient", "a", default))!.VersionId, (await In(project).ReadAsync("Patient", "a", default))!.Json));
        Assert.Equal(v1.Json, (await In(project).ReadVersionAsync("Patient", "a", 1, default))!.Json);
        Assert.True((await In(project).ReadAsync("Patient", "b", default))!.Deleted);
        Assert.Equal(["a"], (await In(project).SearchAsync(Search("Patient", ("gender", "male")), null, default)).Resources.Select(r => r.Id));
        Assert.Empty((await In(project).SearchAsync(Search("Patient", ("gender", "female")), null, default)).Resources);
        var history = (await In(project).HistoryAsync("Patient", null, null, null, 10, null, default)).Versions;
        Assert.Equal([("b", 2), ("a", 2), ("a", 1), ("b", 1)], history.OrderByDescending(v => v.LastUpdated).ThenBy(v => v.Id, StringComparer.Ordinal).Select(v => (v.Id, v.VersionId)));
        var atStart = new DateRange(t0.AddSeconds(30), t0.AddSeconds(30));
        Assert.Equal([("a", 1), ("b", 1)], (await In(project).HistoryAsync("Patient", null, null, atStart, 10, null, default)).Versions
            .Select(v => (v.Id, v.VersionId)).Order());
        Assert.False(await In(NewProject()).AnyAsync(default));
    }
}
