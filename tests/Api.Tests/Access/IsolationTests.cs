using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Xunit.Abstractions;
using FhirResource = Hl7.Fhir.Model.Resource;
using Task = System.Threading.Tasks.Task;
using TenancyReference = Enclave.Domain.Tenancy.Reference;

namespace Enclave.Api.Tests.Access;

/// <summary>
/// The randomised isolation test: two projects with organisations, patients and observations; memberships with
/// random combinations of parameterised policies (MSO, caregiver, partner, org admin) with random hidden and read-only
/// fields; then thousands of mixed operations (reads of this and the other project's resources, searches with
/// totals, includes and reverse includes, history, vread, creates, updates, deletes) through the HTTP API. Every
/// answer is checked against the in-memory evaluator over the test's own record of what was written: the status,
/// the exact set of resources, every field of every resource, and every count. Any difference is a violation.
/// </summary>
public sealed class IsolationTests(EnclaveApiFixture app, ITestOutputHelper output) : IClassFixture<EnclaveApiFixture>
{
    private const int Operations = 2500;
    private static readonly string[] s_genders = ["male", "female", "other", "unknown"];
    private static readonly string[] s_statuses = ["final", "preliminary", "amended"];
    private static readonly string[] s_required = ["read 200", "read 404", "read 403", "search", "search 403", "search include", "create 201", "create 403", "update 200", "update 403", "patch 200", "patch 403", "transaction 200", "transaction 403", "delete 204", "history"];

    /// <summary>Policy templates; <c>{hidden}</c> and <c>{readonly}</c> are filled at random per project.</summary>
    private static readonly Dictionary<string, (string Parameter, string Rules)> s_templates = new()
    {
        ["mso"] = ("organization", """
            [{"resourceType":"Patient","criteria":"Patient?organization=%organization","hiddenFields":{hidden}},
             {"resourceType":"Observation","criteria":"Observation?performer=%organization","hiddenFields":{hiddenObservation}},
             {"resourceType":"Organization","readonly":true}]
            """),
        ["caregiver"] = ("patient", """
            [{"resourceType":"Patient","criteria":"Patient?_id=%patient.id","readonly":true},
             {"resourceType":"Observation","criteria":"Observation?subject=%patient","interaction":["read","search","create","history","vread"]},
             {"resourceType":"Organization","readonly":true,"hiddenFields":["telecom"]}]
            """),
        ["tenant"] = ("organization", """
            [{"resourceType":"Patient","criteria":"Patient?_compartment=%organization","hiddenFields":{hidden}},
             {"resourceType":"Observation","criteria":"Observation?_compartment=%organization"},
             {"resourceType":"Organization","readonly":true}]
            """),
        ["registrar"] = (string.Empty, """[{"resourceType":"Patient","interaction":["read","search","create","update"],"hiddenFields":{hidden}}]"""),
        ["partner"] = (string.Empty, """[{"resourceType":"*","readonly":true,"hiddenFields":{hidden}}]"""),
        ["org-admin"] = ("organization", """
            [{"resourceType":"Patient","criteria":"Patient?organization=%organization","readonlyFields":{readonly}},
             {"resourceType":"Organization","criteria":"Organization?_id=%organization.id"},
             {"resourceType":"Observation","criteria":"Observation?performer=%organization","interaction":["read","search","delete"]}]
            """),
    };

    private sealed record Version(int VersionId, JsonObject? Json);

    private sealed class World
    {
        public required PolicyProject Project { get; init; }

        public Dictionary<string, List<Version>> Resources { get; } = new(StringComparer.Ordinal);

        public List<string> Organizations => [.. Resources.Keys.Where(k => k.StartsWith("Organization/", StringComparison.Ordinal))];

        public List<string> Patients => [.. Resources.Keys.Where(k => k.StartsWith("Patient/", StringComparison.Ordinal))];

        public Dictionary<string, AccessPolicy> Policies { get; } = new(StringComparer.Ordinal);

        public List<(string Token, EffectivePolicy Policy, string Name)> Members { get; } = [];
    }

    private readonly Random _random = new(20261201);
    private readonly Dictionary<string, int> _coverage = new(StringComparer.Ordinal);
    private int _violations;

    [Fact]
    public async Task No_resource_field_or_count_ever_reaches_a_caller_that_may_not_see_it()
    {
        using var http = app.CreateClient();
        var worlds = new[] { await SeedAsync(http, "Isolation A"), await SeedAsync(http, "Isolation B") };
        var all = worlds.SelectMany(w => w.Resources.Keys).Append("Patient/nonexistent").ToList();

        for (var i = 0; i < Operations; i++)
        {
            var world = worlds[_random.Next(worlds.Length)];
            var member = world.Members[_random.Next(world.Members.Count)];
            var roll = _random.Next(100);
            var task = roll switch
            {
                < 30 => ReadAsync(world, member, all[_random.Next(all.Count)]),
                < 55 => SearchAsync(world, member),
                < 63 => HistoryAsync(world, member, all[_random.Next(all.Count)]),
                < 68 => VersionReadAsync(world, member),
                < 80 => CreateAsync(world, member),
                < 88 => UpdateAsync(world, member),
                < 92 => PatchAsync(world, member),
                < 96 => TransactionAsync(world, member),
                _ => DeleteAsync(world, member),
            };
            await task;
        }

        output.WriteLine(string.Join(", ", _coverage.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}")));
        Assert.Equal(0, _violations);
        Assert.All(s_required,
            label => Assert.True(_coverage.GetValueOrDefault(label) > 0, $"No operation was '{label}'."));
    }

    private void Check(bool ok, string what)
    {
        if (!ok)
        {
            _violations++;
            output.WriteLine($"VIOLATION: {what}");
        }
    }

    private void Count(string label) => _coverage[label] = _coverage.GetValueOrDefault(label) + 1;

    private async Task<World> SeedAsync(HttpClient http, string name)
    {
        var world = new World { Project = await PolicyProject.CreateAsync(app, http, name) };
        var organizations = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            organizations.Add(await AdminCreateAsync(world, $$"""{"resourceType":"Organization","name":"Org {{i}}","telecom":[{"system":"phone","value":"org-{{i}}"}]}"""));
        }

        for (var i = 0; i < 24; i++)
        {
            // Half the patients are in an account (an intra-project tenant); their observations inherit it.
            var patient = JsonNode.Parse(PatientJson(null, Pick(organizations), Pick(s_genders), i))!.AsObject();
            if (i % 2 == 0)
            {
                patient["meta"] = new JsonObject { ["accounts"] = new JsonArray(new JsonObject { ["reference"] = Pick(organizations) }) };
            }

            await AdminCreateAsync(world, patient.ToJsonString());
        }

        for (var i = 0; i < 36; i++)
        {
            await AdminCreateAsync(world, ObservationJson(Pick(world.Patients), Pick(organizations), Pick(s_statuses)));
        }

        foreach (var (template, (_, rules)) in s_templates)
        {
            var text = rules.Replace("{hidden}", Fields(["telecom", "birthDate", "name.given", "address.city"]), StringComparison.Ordinal)
                .Replace("{hiddenObservation}", Fields(["value[x]", "note"]), StringComparison.Ordinal)
                .Replace("{readonly}", Fields(["birthDate", "name", "telecom"]), StringComparison.Ordinal);
            var compartment = template == "tenant" ? "\"compartment\":{\"reference\":\"%organization\"}," : string.Empty;
            using (var put = await world.Project.SendAsync(HttpMethod.Put, $"AccessPolicy/{template}", world.Project.AdminToken,
                $$"""{"resourceType":"AccessPolicy","id":"{{template}}",{{compartment}}"resource":{{text}}}"""))
            {
                Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
            }

            world.Policies[template] = AccessPolicyValidator.Validate(JsonDocument.Parse($$"""{"resourceType":"AccessPolicy",{{compartment}}"resource":{{text}}}""").RootElement).Policy!;
        }

        for (var m = 0; m < 8; m++)
        {
            var entries = Enumerable.Range(0, 1 + _random.Next(2)).Select(_ =>
            {
                var template = Pick(s_templates.Keys.ToList());
                var parameter = s_templates[template].Parameter;
                var value = parameter switch { "organization" => Pick(organizations), "patient" => Pick(world.Patients), _ => null };
                return (template, parameter, value);
            }).ToList();
            var accessJson = "[" + string.Join(',', entries.Select(e => e.value is null
                ? PolicyProject.Access(e.template)
                : PolicyProject.Access(e.template, (e.parameter, e.value)))) + "]";
            var membership = new ProjectMembership
            {
                Id = "oracle",
                Project = TenancyReference.To("Project", world.Project.ProjectId),
                User = TenancyReference.To("ClientApplication", "oracle"),
                Access = [.. entries.Select(e => new MembershipAccess(TenancyReference.To("AccessPolicy", e.template),
                    e.value is null ? [] : [new AccessParameter(e.parameter, ValueReference: new TenancyReference(e.value))]))],
            };
            var label = string.Join('+', entries.Select(e => e.template));
            world.Members.Add((await world.Project.MemberAsync(label, accessJson), EffectivePolicy.For(membership, id => world.Policies.GetValueOrDefault(id)), label));
        }

        return world;
    }

    private string Fields(string[] candidates) =>
        JsonSerializer.Serialize(candidates.Where(_ => _random.Next(3) == 0).ToArray());

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string PatientJson(string? id, string organization, string gender, int n) => $$$"""
        {"resourceType":"Patient",{{{(id is null ? string.Empty : $"\"id\":\"{id[8..]}\",")}}}"name":[{"family":"Fam{{{n}}}","given":["Giv{{{n}}}"]}],"gender":"{{{gender}}}",
         "birthDate":"19{{{50 + (n % 50)}}}-01-01","telecom":[{"system":"phone","value":"tel-{{{n}}}"}],"address":[{"city":"City{{{n}}}"}],
         "managingOrganization":{"reference":"{{{organization}}}"}}
        """;

    private static string ObservationJson(string patient, string organization, string status) => $$"""
        {"resourceType":"Observation","status":"{{status}}","code":{"text":"bp"},"subject":{"reference":"{{patient}}"},
         "performer":[{"reference":"{{organization}}"}],"valueQuantity":{"value":120},"note":[{"text":"remark"}]}
        """;

    private static async Task<string> AdminCreateAsync(World world, string json)
    {
        var id = await world.Project.CreateAsync(json);
        var type = JsonNode.Parse(json)!["resourceType"]!.GetValue<string>();
        await RefreshAsync(world, $"{type}/{id}");
        return $"{type}/{id}";
    }

    /// <summary>Records the current version of a resource as the (unrestricted) admin reads it.</summary>
    private static async Task RefreshAsync(World world, string reference)
    {
        var (status, body) = await world.Project.CallAsync(HttpMethod.Get, reference, world.Project.AdminToken);
        var versions = world.Resources.TryGetValue(reference, out var known) ? known : world.Resources[reference] = [];
        var next = (versions.LastOrDefault()?.VersionId ?? 0) + 1;
        if (status == HttpStatusCode.OK)
        {
            var json = JsonNode.Parse(body.GetRawText())!.AsObject();
            var version = int.Parse(json["meta"]!["versionId"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            if (versions.LastOrDefault()?.VersionId != version)
            {
                versions.Add(new Version(version, json));
            }
        }
        else if (status == HttpStatusCode.Gone && versions.LastOrDefault()?.Json is not null)
        {
            versions.Add(new Version(next, null));
        }
    }

    private static FhirResource Parse(JsonObject json) =>
        ResourceParser.TryParse(json.ToJsonString(), out var resource, out var outcome) ? resource! : throw new InvalidOperationException(outcome!.Issue[0].Diagnostics);

    private static DateTimeOffset Updated(JsonObject json) => DateTimeOffset.Parse(json["meta"]!["lastUpdated"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What the member should see of a version for the interaction: null when nothing.</summary>
    private static JsonObject? View(EffectivePolicy policy, JsonObject json, string interaction)
    {
        var resource = Parse(json);
        if (policy.Decide(interaction, resource, Updated(json), DateTimeOffset.UtcNow) is null)
        {
            return null;
        }

        var view = json.DeepClone().AsObject();
        policy.Hide(resource, Updated(json), DateTimeOffset.UtcNow, view);
        return view;
    }

    private void CheckResource(EffectivePolicy policy, World world, JsonElement returned, string interaction, string context)
    {
        var json = JsonNode.Parse(returned.GetRawText())!.AsObject();
        var reference = $"{json["resourceType"]}/{json["id"]}";
        var version = world.Resources.GetValueOrDefault(reference)?.FirstOrDefault(v => v.Json?["meta"]?["versionId"]?.GetValue<string>() == json["meta"]?["versionId"]?.GetValue<string>());
        Check(version?.Json is not null, $"{context}: {reference} is not a resource of this project");
        if (version?.Json is { } stored)
        {
            var expected = View(policy, stored, interaction);
            Check(expected is not null && JsonNode.DeepEquals(expected, json), $"{context}: {reference} shows {json.ToJsonString()} instead of {expected?.ToJsonString() ?? "nothing"}");
        }
    }

    private async Task ReadAsync(World world, (string Token, EffectivePolicy Policy, string Name) member, string reference)
    {
        var (status, body) = await world.Project.CallAsync(HttpMethod.Get, reference, member.Token);
        CheckRead(world, member, "read", reference, world.Resources.GetValueOrDefault(reference)?.Last(), status, body);
    }

    /// <summary>A read or vread of <paramref name="version"/> (null: not in this project): the status, and the fields shown.</summary>
    private void CheckRead(World world, (string Token, EffectivePolicy Policy, string Name) member, string interaction, string reference, Version? version,
        HttpStatusCode status, JsonElement body)
    {
        var type = reference[..reference.IndexOf('/', StringComparison.Ordinal)];
        var expected = !member.Policy.AllowsType(type, interaction) ? HttpStatusCode.Forbidden
            : version is null ? HttpStatusCode.NotFound
            : version.Json is null ? (member.Policy.AllowsEvery(type, interaction) ? HttpStatusCode.Gone : HttpStatusCode.NotFound)
            : View(member.Policy, version.Json, interaction) is null ? HttpStatusCode.NotFound : HttpStatusCode.OK;
        Count($"{interaction} {(int)status}");
        Check(status == expected, $"{member.Name} {interaction} {reference} (version {version?.VersionId}): {status}, expected {expected}");
        if (status == HttpStatusCode.OK && expected == HttpStatusCode.OK)
        {
            CheckResource(member.Policy, world, body, interaction, $"{member.Name} {interaction}");
        }
    }

    private async Task SearchAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var type = _random.Next(2) == 0 ? "Patient" : "Observation";
        var query = new List<KeyValuePair<string, string>>();
        switch (_random.Next(5))
        {
            case 0 when type == "Patient":
                query.Add(new("gender", Pick(s_genders)));
                break;
            case 0:
                query.Add(new("status", Pick(s_statuses)));
                break;
            case 1 when type == "Patient":
                query.Add(new("organization", Pick(world.Organizations)));
                break;
            case 1:
                query.Add(new("subject", Pick(world.Patients)));
                break;
            case 2:
                query.Add(new(type == "Patient" ? "_revinclude" : "_include", type == "Patient" ? "Observation:subject" : "Observation:subject"));
                break;
        }

        var (request, _) = SearchParser.Parse(type, query, strict: true);
        var text = string.Join('&', query.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}").Append("_count=1000").Append("_total=accurate"));
        var (status, bundle) = await world.Project.CallAsync(HttpMethod.Get, $"{type}?{text}", member.Token);
        var context = $"{member.Name} searched {type}?{text}";
        if (!member.Policy.AllowsType(type, "search"))
        {
            Count("search 403");
            Check(status == HttpStatusCode.Forbidden, $"{context}: {status}, expected 403");
            return;
        }

        var current = world.Resources.Where(r => r.Key.StartsWith(type + "/", StringComparison.Ordinal) && r.Value[^1].Json is not null)
            .Select(r => r.Value[^1].Json!).ToList();
        var expected = current.Where(json => InMemorySearch.Matches(request!, Parse(json), Updated(json), DateTimeOffset.UtcNow) && View(member.Policy, json, "search") is not null)
            .Select(json => $"{type}/{json["id"]}").Order(StringComparer.Ordinal).ToList();
        Count("search");
        Check(status == HttpStatusCode.OK, $"{context}: {status}");
        if (status != HttpStatusCode.OK)
        {
            return;
        }

        var matches = PolicyProject.Ids(bundle);
        Check(matches.SequenceEqual(expected), $"{context}: [{string.Join(' ', matches)}], expected [{string.Join(' ', expected)}]");
        Check(bundle.GetProperty("total").GetInt32() == expected.Count, $"{context}: total {bundle.GetProperty("total")}, expected {expected.Count}");
        foreach (var entry in bundle.TryGetProperty("entry", out var entries) ? entries.EnumerateArray() : default)
        {
            CheckResource(member.Policy, world, entry.GetProperty("resource"), "search", context);
        }

        if (request!.Includes.Count + request.RevIncludes.Count > 0)
        {
            Count("search include");
            var included = PolicyProject.Ids(bundle, "include");
            var expectedIncluded = type == "Observation"
                ? expected.Select(o => world.Resources[o][^1].Json!["subject"]!["reference"]!.GetValue<string>())
                    .Where(p => world.Resources.TryGetValue(p, out var v) && v[^1].Json is { } json && View(member.Policy, json, "search") is not null)
                : world.Resources.Where(r => r.Key.StartsWith("Observation/", StringComparison.Ordinal) && r.Value[^1].Json is { } json
                    && expected.Contains(json["subject"]!["reference"]!.GetValue<string>()) && View(member.Policy, json, "search") is not null).Select(r => r.Key);
            var wanted = expectedIncluded.Distinct(StringComparer.Ordinal).Except(expected).Order(StringComparer.Ordinal).ToList();
            Check(included.SequenceEqual(wanted), $"{context}: included [{string.Join(' ', included)}], expected [{string.Join(' ', wanted)}]");
        }
    }

    private async Task HistoryAsync(World world, (string Token, EffectivePolicy Policy, string Name) member, string reference)
    {
        var (status, bundle) = await world.Project.CallAsync(HttpMethod.Get, $"{reference}/_history", member.Token);
        var type = reference[..reference.IndexOf('/', StringComparison.Ordinal)];
        var versions = world.Resources.GetValueOrDefault(reference) ?? [];
        var expected = versions.Where(v => v.Json is null ? member.Policy.AllowsEvery(type, "history") : View(member.Policy, v.Json, "history") is not null)
            .Select(v => v.VersionId).OrderDescending().ToList();
        var context = $"{member.Name} history of {reference}";
        Count("history");
        if (!member.Policy.AllowsType(type, "history"))
        {
            Check(status == HttpStatusCode.Forbidden, $"{context}: {status}, expected 403");
            return;
        }

        if (expected.Count == 0)
        {
            Check(status == HttpStatusCode.NotFound, $"{context}: {status}, expected 404");
            return;
        }

        var entries = bundle.GetProperty("entry").EnumerateArray().ToList();
        var got = entries.Select(e => int.Parse(e.GetProperty("response").GetProperty("etag").GetString()!.Trim('W', '/', '"'), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Check(got.SequenceEqual(expected), $"{context}: versions [{string.Join(' ', got)}], expected [{string.Join(' ', expected)}]");
        foreach (var entry in entries.Where(e => e.TryGetProperty("resource", out _)))
        {
            CheckResource(member.Policy, world, entry.GetProperty("resource"), "history", context);
        }
    }

    private async Task VersionReadAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var (reference, versions) = Pick(world.Resources.ToList());
        var version = Pick(versions);
        var (status, body) = await world.Project.CallAsync(HttpMethod.Get, $"{reference}/_history/{version.VersionId}", member.Token);
        CheckRead(world, member, "vread", reference, version, status, body);
    }

    /// <summary>Whether every reference of <paramref name="json"/> names a current resource the member may read.</summary>
    private static bool ReferencesVisible(World world, EffectivePolicy policy, JsonObject json) =>
        new[] { json["managingOrganization"]?["reference"], json["subject"]?["reference"], json["performer"]?[0]?["reference"] }
            .OfType<JsonNode>().Select(r => r.GetValue<string>())
            .All(r => world.Resources.TryGetValue(r, out var v) && v[^1].Json is { } target && View(policy, target, "read") is not null);

    private async Task CreateAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var json = _random.Next(2) == 0
            ? PatientJson(null, Pick(world.Organizations), Pick(s_genders), _random.Next(1000))
            : ObservationJson(Pick(world.Patients), Pick(world.Organizations), Pick(s_statuses));
        var candidate = JsonNode.Parse(json)!.AsObject();
        // A member's creates are put in its policy's compartments, plus (observations) the patient's accounts.
        var settled = Parse(candidate);
        var inherited = candidate["subject"]?["reference"]?.GetValue<string>() is { } subject && world.Resources[subject][^1].Json is { } about
            ? Accounts.Of(Parse(about)) : [];
        Accounts.Set(settled, member.Policy.Accounts.Concat(inherited));
        var decision = member.Policy.AuthorizeWrite("create", null, default, settled, DateTimeOffset.UtcNow);
        var expected = decision.Denial is not null ? HttpStatusCode.Forbidden
            : !ReferencesVisible(world, member.Policy, JsonNode.Parse(json)!.AsObject()) ? HttpStatusCode.BadRequest : HttpStatusCode.Created;
        var (status, body) = await world.Project.CallAsync(HttpMethod.Post, candidate["resourceType"]!.GetValue<string>(), member.Token, json);
        Count($"create {(int)status}");
        Check(status == expected, $"{member.Name} created {json}: {status}, expected {expected}");
        if (status == HttpStatusCode.Created)
        {
            await RefreshAsync(world, $"{body.GetProperty("resourceType").GetString()}/{body.GetProperty("id").GetString()}");
            CheckResource(member.Policy, world, body, "read", $"{member.Name} create answer");
        }
    }

    private async Task UpdateAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var reference = Pick(world.Patients);
        if (world.Resources[reference][^1].Json is not { } stored)
        {
            return;
        }

        // The member writes what it sees (its view, or the whole resource if it cannot read it) with changes.
        var candidate = (View(member.Policy, stored, "read") ?? stored.DeepClone().AsObject()).DeepClone().AsObject();
        candidate["gender"] = Pick(s_genders);
        if (_random.Next(3) == 0)
        {
            candidate["managingOrganization"] = new JsonObject { ["reference"] = Pick(world.Organizations) };
        }

        if (_random.Next(3) == 0)
        {
            candidate["birthDate"] = "2001-02-03";
        }

        var decision = member.Policy.AuthorizeWrite("update", Parse(stored), Updated(stored), Parse(candidate), DateTimeOffset.UtcNow);
        var expected = decision.Invisible ? HttpStatusCode.NotFound
            : decision.Denial is not null ? HttpStatusCode.Forbidden
            : !ReferencesVisible(world, member.Policy, candidate) ? HttpStatusCode.BadRequest : HttpStatusCode.OK;
        var (status, body) = await world.Project.CallAsync(HttpMethod.Put, reference, member.Token, candidate.ToJsonString());
        Count($"update {(int)status}");
        Check(status == expected, $"{member.Name} updated {reference}: {status}, expected {expected}");
        await CheckWrittenAsync(world, member, reference, stored, status, body, decision, "updated");
    }

    /// <summary>
    /// After a write: when it succeeded, nothing the member could not change changed and what it changed did, and the
    /// answer shows only what the member may see; when it was refused, nothing changed.
    /// </summary>
    private async Task CheckWrittenAsync(World world, (string Token, EffectivePolicy Policy, string Name) member, string reference, JsonObject stored,
        HttpStatusCode status, JsonElement body, EffectivePolicy.WriteDecision? decision, string verb)
    {
        await RefreshAsync(world, reference);
        var now = world.Resources[reference][^1].Json!;
        if (status != HttpStatusCode.OK)
        {
            Check(JsonNode.DeepEquals(now, stored), $"{member.Name} {verb} {reference}: refused with {status} but the resource changed");
            return;
        }

        var intended = JsonSerializer.SerializeToNode(decision!.Resource, ResourceParser.Options)!.AsObject();
        foreach (var field in new[] { "gender", "birthDate", "telecom", "name", "address", "managingOrganization" })
        {
            Check(JsonNode.DeepEquals(now[field], intended[field]), $"{member.Name} {verb} {reference}: {field} is {now[field]?.ToJsonString()}, expected {intended[field]?.ToJsonString()}");
        }

        CheckResource(member.Policy, world, body, "read", $"{member.Name} {verb} answer");
    }

    private async Task PatchAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var reference = Pick(world.Patients);
        if (world.Resources[reference][^1].Json is not { } stored)
        {
            return;
        }

        var gender = Pick(s_genders);
        var view = View(member.Policy, stored, "read");
        HttpStatusCode expected;
        EffectivePolicy.WriteDecision? decision = null;
        if (!member.Policy.AllowsType("Patient", "patch"))
        {
            expected = HttpStatusCode.Forbidden;
        }
        else if (view is null)
        {
            expected = HttpStatusCode.NotFound;
        }
        else
        {
            // The patch applies to what the member sees; hidden and read-only fields come back from the stored version.
            view["gender"] = gender;
            decision = member.Policy.AuthorizeWrite("patch", Parse(stored), Updated(stored), Parse(view), DateTimeOffset.UtcNow);
            expected = decision.Invisible ? HttpStatusCode.NotFound : decision.Denial is not null ? HttpStatusCode.Forbidden
                : !ReferencesVisible(world, member.Policy, view) ? HttpStatusCode.BadRequest : HttpStatusCode.OK;
        }

        var (status, body) = await world.Project.CallAsync(HttpMethod.Patch, reference, member.Token,
            $$"""[{"op":"replace","path":"/gender","value":"{{gender}}"}]""", "application/json-patch+json");
        Count($"patch {(int)status}");
        Check(status == expected, $"{member.Name} patched {reference}: {status}, expected {expected}");
        await CheckWrittenAsync(world, member, reference, stored, status, body, decision, "patched");
    }

    /// <summary>A transaction: an observation about a patient, and a change to that patient; all or nothing.</summary>
    private async Task TransactionAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var reference = Pick(world.Patients);
        if (world.Resources[reference][^1].Json is not { } stored)
        {
            return;
        }

        var observation = JsonNode.Parse(ObservationJson(reference, Pick(world.Organizations), Pick(s_statuses)))!.AsObject();
        var settled = Parse(observation);
        Accounts.Set(settled, member.Policy.Accounts.Concat(Accounts.Of(Parse(stored))));
        var create = member.Policy.AuthorizeWrite("create", null, default, settled, DateTimeOffset.UtcNow);
        var performerVisible = ReferencesVisible(world, member.Policy, new JsonObject { ["performer"] = observation["performer"]!.DeepClone() });
        var candidate = (View(member.Policy, stored, "read") ?? stored.DeepClone().AsObject()).DeepClone().AsObject();
        candidate["gender"] = Pick(s_genders);
        var update = member.Policy.AuthorizeWrite("update", Parse(stored), Updated(stored), Parse(candidate), DateTimeOffset.UtcNow);
        var expected = create.Denial is not null ? HttpStatusCode.Forbidden
            : !performerVisible ? HttpStatusCode.BadRequest
            : update.Invisible ? HttpStatusCode.NotFound
            : update.Denial is not null ? HttpStatusCode.Forbidden
            : !ReferencesVisible(world, member.Policy, candidate) ? HttpStatusCode.BadRequest
            : HttpStatusCode.OK;
        var bundle = $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"resource":{{{observation.ToJsonString()}}},"request":{"method":"POST","url":"Observation"}},
              {"resource":{{{candidate.ToJsonString()}}},"request":{"method":"PUT","url":"{{{reference}}}"}}]}
            """;
        var before = world.Resources.Count;
        var (status, body) = await world.Project.CallAsync(HttpMethod.Post, string.Empty, member.Token, bundle);
        Count($"transaction {(int)status}");
        Check(status == expected, $"{member.Name} transaction on {reference}: {status}, expected {expected}");
        await RefreshAsync(world, reference);
        if (status == HttpStatusCode.OK)
        {
            var entries = body.GetProperty("entry").EnumerateArray().ToList();
            var created = entries[0].GetProperty("response").GetProperty("location").GetString()!.Split("/_history")[0];
            await RefreshAsync(world, created[(created.IndexOf("Observation/", StringComparison.Ordinal))..]);
            foreach (var entry in entries.Where(e => e.TryGetProperty("resource", out _)))
            {
                CheckResource(member.Policy, world, entry.GetProperty("resource"), "read", $"{member.Name} transaction answer");
            }
        }
        else
        {
            Check(JsonNode.DeepEquals(world.Resources[reference][^1].Json, stored) && world.Resources.Count == before,
                $"{member.Name} transaction on {reference}: refused with {status} but something changed");
        }
    }

    private async Task DeleteAsync(World world, (string Token, EffectivePolicy Policy, string Name) member)
    {
        var (reference, versions) = Pick(world.Resources.Where(r => !r.Key.StartsWith("Organization/", StringComparison.Ordinal)).ToList());
        if (versions[^1].Json is not { } stored)
        {
            return;
        }

        var decision = member.Policy.AuthorizeWrite("delete", Parse(stored), Updated(stored), null, DateTimeOffset.UtcNow);
        var expected = decision.Denial is not null ? HttpStatusCode.Forbidden : HttpStatusCode.NoContent;
        var (status, _) = await world.Project.CallAsync(HttpMethod.Delete, reference, member.Token);
        Count($"delete {(int)status}");
        Check(status == expected, $"{member.Name} deleted {reference}: {status}, expected {expected}");
        await RefreshAsync(world, reference);
        var deleted = world.Resources[reference][^1].Json is null;
        Check(deleted == (expected == HttpStatusCode.NoContent && !decision.Invisible), $"{member.Name} deleted {reference}: deleted is {deleted}");
    }
}
