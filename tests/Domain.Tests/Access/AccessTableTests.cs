using System.Diagnostics;
using System.Text.Json;
using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Enclave.Storage.Memory;
using Hl7.Fhir.Model;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;
using TenancyReference = Enclave.Domain.Tenancy.Reference;

namespace Enclave.Domain.Tests.Access;

/// <summary>
/// The access core as a table: every interaction against each kind of policy rule, through the real
/// <see cref="FhirRepository"/> over <see cref="MemoryResourceStore"/> (no HTTP, no database). Each row names a policy
/// (<see cref="s_policies"/>), an interaction, a target resource and a change, and the outcome: the status, or for
/// searches and history <c>hit</c>/<c>miss</c> (the target among the results); <c>masked</c> when the answer lacks the
/// hidden <c>telecom</c>; <c>kept</c> when a write succeeded but the stored resource does not show the change (a
/// read-only field, an account the caller cannot set, or a delete of what the caller cannot see: 204 as for a missing
/// resource, and the resource is still there).
/// </summary>
public sealed class AccessTableTests(ITestOutputHelper output)
{
    private const string Project = "p";
    private const string LinkedProjectId = "lp";
    private static readonly DateTimeOffset s_now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>kind · interaction · target · change (<c>-</c>: the default) · outcome.</summary>
    private const string Table = """
        type         read     Patient/pa      -        200
        type         read     Observation/oa  -        403
        type         vread    Patient/pa      -        200
        type         vread    Observation/oa  -        403
        type         history  Patient/pa      -        hit
        type         history  Observation/oa  -        403
        type         search   Patient/pa      -        hit
        type         search   Observation/oa  -        403
        type         telecom  Patient/pa      -        hit
        type         create   Patient/pa      -        201
        type         create   Observation/oa  -        403
        type         update   Patient/pa      -        200
        type         update   Observation/oa  -        403
        type         patch    Patient/pa      -        200
        type         patch    Observation/oa  -        403
        type         delete   Patient/pa      -        204
        type         delete   Observation/oa  -        403
        criteria     read     Patient/pa      -        200
        criteria     read     Patient/pb      -        404
        criteria     vread    Patient/pa      -        200
        criteria     vread    Patient/pb      -        404
        criteria     history  Patient/pa      -        hit
        criteria     history  Patient/pb      -        miss
        criteria     search   Patient/pa      -        hit
        criteria     search   Patient/pb      -        miss
        criteria     create   Patient/pa      -        201
        criteria     create   Patient/pb      -        403
        criteria     update   Patient/pa      -        200
        criteria     update   Patient/pa      org2     403
        criteria     update   Patient/pb      -        404
        criteria     patch    Patient/pa      -        200
        criteria     patch    Patient/pa      org2     403
        criteria     patch    Patient/pb      -        404
        criteria     delete   Patient/pa      -        204
        criteria     delete   Patient/pb      -        204 kept
        readonly     read     Patient/pa      -        200
        readonly     vread    Patient/pa      -        200
        readonly     history  Patient/pa      -        hit
        readonly     search   Patient/pa      -        hit
        readonly     create   Patient/pa      -        403
        readonly     update   Patient/pa      -        403
        readonly     patch    Patient/pa      -        403
        readonly     delete   Patient/pa      -        403
        readonly     read     Observation/oa  -        403
        readonly     vread    Observation/oa  -        403
        readonly     history  Observation/oa  -        403
        readonly     search   Observation/oa  -        403
        readonly     create   Observation/oa  -        403
        readonly     update   Observation/oa  -        403
        readonly     patch    Observation/oa  -        403
        readonly     delete   Observation/oa  -        403
        hidden       read     Patient/pa      -        200 masked
        hidden       vread    Patient/pa      -        200 masked
        hidden       history  Patient/pa      -        hit masked
        hidden       search   Patient/pa      -        hit masked
        hidden       telecom  Patient/pa      -        403
        hidden       create   Patient/pa      -        201
        hidden       update   Patient/pa      -        200
        hidden       patch    Patient/pa      -        200
        hidden       delete   Patient/pa      -        204
        fields       read     Patient/pa      -        200
        fields       vread    Patient/pa      -        200
        fields       history  Patient/pa      -        hit
        fields       search   Patient/pa      -        hit
        fields       create   Patient/pa      -        201
        fields       create   Patient/pa      gender   201 kept
        fields       update   Patient/pa      -        200
        fields       update   Patient/pa      gender   200 kept
        fields       patch    Patient/pa      -        200
        fields       patch    Patient/pa      gender   200 kept
        fields       delete   Patient/pa      -        204
        constraint   read     Patient/pa      -        200
        constraint   vread    Patient/pa      -        200
        constraint   history  Patient/pa      -        hit
        constraint   search   Patient/pa      -        hit
        constraint   create   Patient/pa      -        201
        constraint   create   Patient/pa      gender   403
        constraint   update   Patient/pa      -        200
        constraint   update   Patient/pa      gender   403
        constraint   patch    Patient/pa      -        200
        constraint   patch    Patient/pa      gender   403
        constraint   delete   Patient/pa      -        204
        compartment  read     Observation/oa  -        200
        compartment  read     Observation/ob  -        404
        compartment  vread    Observation/oa  -        200
        compartment  vread    Observation/ob  -        404
        compartment  history  Observation/oa  -        hit
        compartment  history  Observation/ob  -        miss
        compartment  search   Observation/oa  -        hit
        compartment  search   Observation/ob  -        miss
        compartment  create   Observation/oa  -        201
        compartment  create   Observation/ob  -        403
        compartment  update   Observation/oa  -        200
        compartment  update   Observation/ob  -        404
        compartment  patch    Observation/oa  -        200
        compartment  patch    Observation/ob  -        404
        compartment  delete   Observation/oa  -        204
        compartment  delete   Observation/ob  -        204 kept
        accounts     read     Patient/pa      -        200
        accounts     read     Patient/pb      -        404
        accounts     vread    Patient/pa      -        200
        accounts     vread    Patient/pb      -        404
        accounts     history  Patient/pa      -        hit
        accounts     history  Patient/pb      -        miss
        accounts     search   Patient/pa      -        hit
        accounts     search   Patient/pb      -        miss
        accounts     create   Patient/pa      -        201
        accounts     create   Patient/pb      -        201
        accounts     create   Patient/pa      account  201 kept
        accounts     update   Patient/pa      -        200
        accounts     update   Patient/pa      account  200 kept
        accounts     update   Patient/pb      -        404
        accounts     patch    Patient/pa      -        200
        accounts     patch    Patient/pb      -        404
        accounts     delete   Patient/pa      -        204
        accounts     delete   Patient/pb      -        204 kept
        linked       read     Patient/pl      -        200
        linked       read     Observation/ol  -        404
        linked       vread    Patient/pl      -        200
        linked       vread    Observation/ol  -        404
        linked       history  Patient/pl      -        miss
        linked       history  Observation/ol  -        miss
        linked       search   Patient/pl      -        hit
        linked       search   Observation/ol  -        miss
        linked       create   Patient/pl      -        201
        linked       create   Observation/ol  -        201
        linked       update   Patient/pl      -        403
        linked       update   Observation/ol  -        201
        linked       patch    Patient/pl      -        403
        linked       patch    Observation/ol  -        404
        linked       delete   Patient/pl      -        403
        linked       delete   Observation/ol  -        204 kept
        """;

    /// <summary>The policy of each kind of rule; every restricted one may also read organisations (which patients reference).</summary>
    private static readonly Dictionary<string, AccessPolicy?> s_policies = new(StringComparer.Ordinal)
    {
        ["type"] = Rules(new AccessPolicyRule { ResourceType = "Patient" }),
        ["criteria"] = Rules(new AccessPolicyRule { ResourceType = "Patient", Criteria = "Patient?organization=Organization/org1" }),
        ["readonly"] = Rules(new AccessPolicyRule { ResourceType = "Patient", Readonly = true }),
        ["hidden"] = Rules(new AccessPolicyRule { ResourceType = "Patient", HiddenFields = ["telecom"] }),
        ["fields"] = Rules(new AccessPolicyRule { ResourceType = "Patient", ReadonlyFields = ["gender"] }),
        ["constraint"] = Rules(new AccessPolicyRule { ResourceType = "Patient", WriteConstraint = [new("text/fhirpath", "%after.active = true")] }),
        ["compartment"] = Rules(
            new AccessPolicyRule { ResourceType = "Observation", Compartment = new AccessPolicyReference("Patient/pa") },
            new AccessPolicyRule { ResourceType = "Patient", Readonly = true }),
        ["accounts"] = InAccounts(Rules(new AccessPolicyRule { ResourceType = "Patient", Compartment = new AccessPolicyReference("Organization/org1") })),
        ["linked"] = null,
    };

    /// <summary><paramref name="policy"/> putting what its members create in the account <c>Organization/org1</c>.</summary>
    private static AccessPolicy InAccounts(AccessPolicy policy) => policy with { Compartment = new AccessPolicyReference("Organization/org1") };

    private static AccessPolicy Rules(params AccessPolicyRule[] rules) =>
        new() { Resource = [.. rules, new AccessPolicyRule { ResourceType = "Organization", Readonly = true }] };

    /// <summary>The rows of <see cref="Table"/>.</summary>
    public static TheoryData<string, string, string, string, string> Rows()
    {
        var rows = new TheoryData<string, string, string, string, string>();
        foreach (var line in Table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var cells = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            rows.Add(cells[0], cells[1], cells[2], cells[3], cells[4].Trim());
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_interaction_under_each_rule_kind_has_its_outcome(string kind, string interaction, string target, string change, string outcome) =>
        Assert.Equal(outcome, await OutcomeAsync(kind, interaction, target, change));

    [Fact]
    public async Task The_table_covers_every_interaction_and_rule_kind_and_runs_in_well_under_a_second()
    {
        var rows = Rows().Select(r => ((string)r[0], (string)r[1], (string)r[2], (string)r[3], (string)r[4])).ToList();
        // Warm-up: the first use of each code path (FHIRPath compilation, JIT) is not the table's cost.
        foreach (var interaction in rows.Select(r => r.Item2).Distinct())
        {
            await OutcomeAsync("type", interaction, "Patient/pa", "-");
        }

        var clock = Stopwatch.StartNew();
        var wrong = new List<string>();
        foreach (var (kind, interaction, target, change, outcome) in rows)
        {
            if (await OutcomeAsync(kind, interaction, target, change) is var actual && actual != outcome)
            {
                wrong.Add($"{kind} {interaction} {target} {change}: {actual}, not {outcome}");
            }
        }

        clock.Stop();
        output.WriteLine($"{rows.Count} rows in {clock.ElapsedMilliseconds} ms");
        Assert.Empty(wrong);
        Assert.True(rows.Count >= 100, $"{rows.Count} rows");
        Assert.Equal(s_policies.Keys.Order(StringComparer.Ordinal), rows.Select(r => r.Item1).Distinct().Order(StringComparer.Ordinal));
        foreach (var kind in s_policies.Keys)
        {
            Assert.Superset(new HashSet<string>(["read", "vread", "history", "search", "create", "update", "patch", "delete"]), rows.Where(r => r.Item1 == kind).Select(r => r.Item2).ToHashSet());
        }

        Assert.True(clock.ElapsedMilliseconds < 1000, $"{rows.Count} rows took {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>Runs one row in a world of its own and describes what happened.</summary>
    private static async Task<string> OutcomeAsync(string kind, string interaction, string target, string change)
    {
        var store = (await s_world.Value).Copy();
        var member = new FhirRepository(Member(kind), store, new FixedClock(s_now));
        var admin = new FhirRepository(AccessContext.AdminOf(target is "Patient/pl" or "Observation/ol" ? LinkedProjectId : Project), store, new FixedClock(s_now));
        var (type, id) = (target[..target.IndexOf('/', StringComparison.Ordinal)], target[(target.IndexOf('/', StringComparison.Ordinal) + 1)..]);
        var seeded = Parse((await admin.ReadAsync(type, id, default)).Resource!.Json);

        switch (interaction)
        {
            case "read":
                return Shown(await member.ReadAsync(type, id, default));
            case "vread":
                return Shown(await member.VersionReadAsync(type, id, 1, default));
            case "history":
                var (versions, _, refused) = await member.HistoryAsync(type, id, null, null, 10, null, default);
                return refused is not null ? Code(refused) : Found(versions, id);
            case "search":
            case "telecom":
                var query = interaction == "search" ? ("_id", id) : ("telecom", "555-0100");
                var (request, invalid) = SearchParser.Parse(type, [new(query.Item1, query.Item2)], strict: true);
                Assert.Null(invalid);
                var (page, refusal) = await member.SearchAsync(request!, null, default, includeLinked: true);
                return refusal is not null ? Code(refusal) : Found(page!.Matches, id);
            case "create":
                var template = Changed(seeded, change);
                template.Id = null;
                var created = await member.CreateAsync(template, null, default);
                return Written(created, created.Status == 201 ? await new FhirRepository(AccessContext.AdminOf(Project), store, new FixedClock(s_now))
                    .ReadAsync(type, created.Resource!.Id, default) : null, change, hadTelecom: false);
            case "update":
                var view = await member.ReadAsync(type, id, default) is { Status: 200 } visible ? Parse(visible.Resource!.Json) : seeded;
                var updated = await member.UpdateAsync(Changed(view, change), null, default);
                return Written(updated, await new FhirRepository(AccessContext.AdminOf(Project), store, new FixedClock(s_now)).ReadAsync(type, id, default), change,
                    hadTelecom: seeded is Patient { Telecom.Count: > 0 } && updated.Status == 200);
            case "patch":
                var patched = await member.PatchAsync(type, id, json => (Changed(Parse(json), change), null), null, default);
                return Written(patched, await admin.ReadAsync(type, id, default), change, hadTelecom: seeded is Patient { Telecom.Count: > 0 });
            case "delete":
                var deleted = await member.DeleteAsync(type, id, default);
                return Code(deleted.Status) + (deleted.Status == 204 && (await admin.ReadAsync(type, id, default)).Status == 200 ? " kept" : string.Empty);
            default:
                throw new ArgumentException($"Unknown interaction {interaction}.", nameof(interaction));
        }
    }

    /// <summary>The world every row starts from (a copy of it): seeded once, since indexing is what a write costs.</summary>
    private static readonly Lazy<Task<MemoryResourceStore>> s_world = new(SeedAsync);

    /// <summary>Two projects: <c>p</c> (organisations, patients in accounts, observations) and <c>lp</c>, linked, exporting patients only.</summary>
    private static async Task<MemoryResourceStore> SeedAsync()
    {
        var store = new MemoryResourceStore(new FixedClock(s_now));
        var admin = new FhirRepository(AccessContext.AdminOf(Project), store, new FixedClock(s_now.AddDays(-1)));
        foreach (var resource in s_seed.Value)
        {
            Assert.Equal(201, (await admin.UpdateAsync(resource.DeepCopy(), null, default)).Status);
        }

        var linked = new FhirRepository(AccessContext.AdminOf(LinkedProjectId), store, new FixedClock(s_now.AddDays(-1)));
        Assert.Equal(201, (await linked.UpdateAsync(new Patient { Id = "pl", Active = false, Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555-0142")] },
            null, default)).Status);
        Assert.Equal(201, (await linked.UpdateAsync(Observation("ol", "pl"), null, default)).Status);
        return store;
    }

    private static readonly Lazy<List<Resource>> s_seed = new(() =>
    [
        new Organization { Id = "org1", Name = "One" },
        new Organization { Id = "org2", Name = "Two" },
        InAccount(new Patient { Id = "pa", Active = false, Gender = AdministrativeGender.Female, ManagingOrganization = new ResourceReference("Organization/org1"),
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555-0100")] }, "Organization/org1"),
        InAccount(new Patient { Id = "pb", Active = false, Gender = AdministrativeGender.Male, ManagingOrganization = new ResourceReference("Organization/org2"),
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "555-0199")] }, "Organization/org2"),
        Observation("oa", "pa"),
        Observation("ob", "pb"),
    ]);

    private static Observation Observation(string id, string patient) => new()
    {
        Id = id,
        Status = ObservationStatus.Preliminary,
        Code = new CodeableConcept("http://loinc.org", "8867-4"),
        Subject = new ResourceReference($"Patient/{patient}"),
    };

    private static Patient InAccount(Patient patient, string account)
    {
        Accounts.Set(patient, [account]);
        return patient;
    }

    private static AccessContext Member(string kind)
    {
        var scope = new ProjectScope(Project, [new LinkedProject(LinkedProjectId, new HashSet<string>(["Patient"]))]);
        if (s_policies[kind] is not { } policy)
        {
            return new AccessContext(scope, EffectivePolicy.Unrestricted, ProjectAdmin: false);
        }

        var membership = new ProjectMembership
        {
            Id = "m1",
            Project = TenancyReference.To("Project", Project),
            User = TenancyReference.To("User", "u1"),
            Access = [new MembershipAccess(TenancyReference.To("AccessPolicy", kind), [])],
        };
        var effective = EffectivePolicy.For(membership, _ => policy);
        Assert.Empty(effective.Dropped);
        return new AccessContext(scope, effective, ProjectAdmin: false);
    }

    /// <summary>A copy of <paramref name="resource"/> with <paramref name="change"/> made (<c>-</c>: an innocent one).</summary>
    private static Resource Changed(Resource resource, string change)
    {
        var copy = (Resource)resource.DeepCopy();
        switch (copy, change)
        {
            case (Patient patient, "-"):
                patient.Active = true;
                break;
            case (Patient patient, "gender"):
                patient.Gender = AdministrativeGender.Other;
                break;
            case (Patient patient, "org2"):
                patient.ManagingOrganization = new ResourceReference("Organization/org2");
                break;
            case (_, "account"):
                Accounts.Set(copy, ["Organization/org2"]);
                break;
            case (Observation observation, "-"):
                observation.Status = ObservationStatus.Final;
                break;
            default:
                throw new ArgumentException($"No change {change} for {copy.TypeName}.", nameof(change));
        }

        return copy;
    }

    /// <summary>Whether the stored <paramref name="resource"/> shows <paramref name="change"/>.</summary>
    private static bool Shows(Resource resource, string change) => (resource, change) switch
    {
        (Patient p, "-") => p.Active == true,
        (Patient p, "gender") => p.Gender == AdministrativeGender.Other,
        (Patient p, "org2") => p.ManagingOrganization?.Reference == "Organization/org2",
        (_, "account") => Accounts.Of(resource).Contains("Organization/org2"),
        (Observation o, "-") => o.Status == ObservationStatus.Final,
        _ => false,
    };

    private static string Shown(FhirRepository.Result result) =>
        result.Status == 200 && Masked(result.Resource!) ? "200 masked" : Code(result.Status);

    private static string Found(IReadOnlyList<StoredResource> results, string id) =>
        results.FirstOrDefault(r => r.Id == id) is { } found ? Masked(found) ? "hit masked" : "hit" : "miss";

    /// <summary>A write's status, with <c>kept</c> when it succeeded without the change and <c>lost</c> when it erased the hidden telecom.</summary>
    private static string Written(FhirRepository.Result result, FhirRepository.Result? stored, string change, bool hadTelecom)
    {
        if (result.Status is not (200 or 201))
        {
            return Code(result.Status);
        }

        var resource = Parse(stored!.Resource!.Json);
        return Code(result.Status) + (Shows(resource, change) ? string.Empty : " kept") + (hadTelecom && resource is Patient { Telecom.Count: 0 } ? " lost" : string.Empty);
    }

    private static bool Masked(StoredResource version) =>
        version.ResourceType == "Patient" && !version.Deleted && !JsonDocument.Parse(version.Json).RootElement.TryGetProperty("telecom", out _);

    private static string Code(int status) => status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Code(OperationOutcome refusal) =>
        refusal.Issue[0].Code == OperationOutcome.IssueType.Forbidden ? "403" : "400";

    private static Resource Parse(string json)
    {
        Assert.True(ResourceParser.TryParse(json, out var resource, out var outcome), outcome?.ToString());
        return resource!;
    }

    /// <summary>A clock that always reads one instant.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
