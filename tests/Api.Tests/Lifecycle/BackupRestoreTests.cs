using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Api.Tests.Auth;
using Enclave.Api.Tests.Export;
using Enclave.Domain.Backup;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Lifecycle;

/// <summary>
/// A project backs itself up (every resource, every version if asked, and its tenancy resources without secrets), a
/// super admin restores a backup into a new or empty project with ids kept or remapped, and a clone (backup + restore)
/// of a generated project of 5,000 resources with history is the source again: the same versions of the same
/// resources, with the same content (references remapped to match), searchable by the new ids.
/// </summary>
public sealed class BackupRestoreTests(DefaultExportFixture app) : IClassFixture<DefaultExportFixture>
{
    private const int Patients = 2_000;
    private const int Observations = 3_200;
    private const int Updated = 100;
    private const int Deleted = 50;

    private IResourceStore Store => app.Services.GetRequiredService<IResourceStore>();

    [Fact]
    public async Task A_clone_of_a_5000_resource_project_with_history_is_the_source_with_every_id_remapped()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (projectId, token) = await AuthClient.NewProjectTokenAsync(http, app, "Cloned");
        await SeedAsync(projectId);
        for (var i = 0; i < Updated; i++)
        {
            using var put = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/p{i:D5}", token,
                AuthClient.Body($$"""{"resourceType":"Patient","id":"p{{i:D5}}","active":false,"name":[{"family":"Updated{{i}}"}],"generalPractitioner":[{"reference":"Patient/p{{i + 1:D5}}"}]}"""));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        for (var i = 0; i < Deleted; i++)
        {
            using var delete = await AuthClient.SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Observation/o{i:D5}", token);
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        using (var policy = await AuthClient.SendAsync(http, HttpMethod.Put, "/api/fhir/R4/AccessPolicy/patients", token,
            AuthClient.Body("""{"resourceType":"AccessPolicy","id":"patients","resource":[{"resourceType":"Patient"}]}""")))
        {
            Assert.True(policy.IsSuccessStatusCode, await policy.Content.ReadAsStringAsync());
        }

        var source = await VersionsAsync(projectId);
        Assert.Equal(Patients + Observations + Updated + Deleted, source.Count);

        using var cloned = await AuthClient.PostAsync(http, $"/api/admin/projects/{projectId}/$clone", superAdmin, new { name = "The clone" });
        Assert.True(cloned.StatusCode == HttpStatusCode.Accepted, await cloned.Content.ReadAsStringAsync());
        using var answer = JsonDocument.Parse(await cloned.Content.ReadAsStringAsync());
        var cloneId = answer.RootElement.GetProperty("project").GetProperty("id").GetString()!;
        var client = answer.RootElement.GetProperty("client");
        var status = answer.RootElement.GetProperty("status").GetString()!;
        var done = await CompleteAsync(http, status, superAdmin);
        Assert.Equal(source.Count, done.GetProperty("restored").GetInt64());
        Assert.Equal("remap", done.GetProperty("ids").GetString());
        Assert.True(done.GetProperty("tenancyRestored").GetInt64() >= 2, done.ToString()); // the policy and the project's settings

        // Every version of every resource is there under its new id, with the same time, deletion and supersession, and
        // the same content once the source's ids are replaced by the new ones (replaced as text here, not by the server's code).
        var ids = new RestoreIds(status[(status.LastIndexOf('/') + 1)..]);
        var clone = await VersionsAsync(cloneId);
        Assert.Equal(source.Count, clone.Count);
        Assert.Equal(source.Count, clone.Keys.Select(k => k.Id).Distinct().Count() + source.Keys.Count(k => k.Version > 1));
        foreach (var ((type, id, version), original) in source)
        {
            Assert.True(clone.TryGetValue((type, ids.Map(type, id), version), out var copy), $"{type}/{id}/_history/{version} is missing from the clone.");
            Assert.Equal((original.LastUpdated, original.Deleted, original.SupersededAt), (copy.LastUpdated, copy.Deleted, copy.SupersededAt));
            Assert.True(Hash(Remapped(original.Json, ids)) == Hash(copy.Json), $"{type}/{id}/_history/{version} differs in the clone.");
        }

        // Searches run on the rebuilt index, by the new ids; history and deletions read as in the source.
        var cloneToken = await AuthClient.TokenAsync(http, client.GetProperty("id").GetString()!, client.GetProperty("secret").GetString()!);
        Assert.Equal(await CountAsync(http, token, "Observation?subject=Patient/p00007"), await CountAsync(http, cloneToken, $"Observation?subject=Patient/{ids.Map("Patient", "p00007")}"));
        Assert.Equal(Observations - Deleted, await CountAsync(http, cloneToken, "Observation"));
        Assert.Equal(Patients, await CountAsync(http, cloneToken, "Patient"));
        Assert.Equal(1, await CountAsync(http, cloneToken, $"Patient?general-practitioner=Patient/{ids.Map("Patient", "p00003")}"));
        using var history = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{ids.Map("Patient", "p00000")}/_history", cloneToken);
        Assert.Equal(2, JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement.GetProperty("entry").GetArrayLength());
        using var gone = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Observation/{ids.Map("Observation", "o00001")}", cloneToken);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        using var restoredPolicy = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/AccessPolicy/patients", cloneToken);
        Assert.Equal(HttpStatusCode.OK, restoredPolicy.StatusCode);

        // The source is as it was.
        var after = await VersionsAsync(projectId);
        Assert.Equal(source.Keys.Order(), after.Keys.Order());
        Assert.All(source, s => Assert.Equal(Hash(s.Value.Json), Hash(after[s.Key].Json)));
    }

    [Fact]
    public async Task A_backup_holds_every_version_and_no_secret_and_restores_with_ids_kept_only_into_an_empty_project()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (projectId, clientId, secret) = await AuthClient.CreateProjectAsync(http, superAdmin, "Backed up");
        var token = await AuthClient.TokenAsync(http, clientId, secret);
        var patient = await CreateAsync(http, token, """{"resourceType":"Patient","name":[{"family":"Ünïcødé <&>"}]}""");
        using (await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{patient}", token,
            AuthClient.Body($$"""{"resourceType":"Patient","id":"{{patient}}","active":true,"name":[{"family":"Ünïcødé <&>"}]}""")))
        {
        }

        var observation = await CreateAsync(http, token, $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        var deleted = await CreateAsync(http, token, """{"resourceType":"Observation","status":"final","code":{"text":"y"}}""");
        using (await AuthClient.SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Observation/{deleted}", token))
        {
        }

        using var badVersions = await ExportApi.KickoffAsync(http, token, "$backup?versions=some", string.Empty);
        using var notAsync = await ExportApi.KickoffAsync(http, token, "$backup", string.Empty, prefer: "return=minimal");
        Assert.Equal(HttpStatusCode.BadRequest, badVersions.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notAsync.StatusCode);

        using var current = await ExportApi.KickoffAsync(http, token, "$backup", string.Empty);
        var currentManifest = await ExportApi.ManifestAsync(http, await ExportApi.StatusUrlAsync(current), token);
        Assert.Equal([(patient, 2)], (await ExportApi.LinesAsync(http, currentManifest, "Patient", token)).Select(l => (l.GetProperty("id").GetString(), l.GetProperty("versionId").GetInt32())));
        Assert.Equal([observation], (await ExportApi.LinesAsync(http, currentManifest, "Observation", token)).Select(l => l.GetProperty("id").GetString()));

        using var all = await ExportApi.KickoffAsync(http, token, "$backup?versions=all", string.Empty);
        var status = await ExportApi.StatusUrlAsync(all);
        var manifest = await ExportApi.ManifestAsync(http, status, token);
        Assert.Equal(["Observation", "Patient", "tenancy"], ExportApi.Types(manifest));
        var versions = (await ExportApi.LinesAsync(http, manifest, "Observation", token)).Concat(await ExportApi.LinesAsync(http, manifest, "Patient", token))
            .Select(l => (l.GetProperty("id").GetString()!, l.GetProperty("versionId").GetInt32(), l.GetProperty("deleted").GetBoolean())).Order().ToList();
        Assert.Equal(new[] { (observation, 1, false), (deleted, 1, false), (deleted, 2, true), (patient, 1, false), (patient, 2, false) }.Order(), versions);
        var tenancy = await ExportApi.LinesAsync(http, manifest, "tenancy", token);
        Assert.Contains(tenancy, l => l.GetProperty("resourceType").GetString() == "Project" && l.GetProperty("id").GetString() == projectId);
        Assert.Contains(tenancy, l => l.GetProperty("resourceType").GetString() == "ClientApplication" && l.GetProperty("id").GetString() == clientId);
        var text = string.Join('\n', tenancy.Select(l => l.GetRawText()));
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);

        var backupId = status[(status.LastIndexOf('/') + 1)..];
        var (targetId, targetClient, targetSecret) = await AuthClient.CreateProjectAsync(http, superAdmin, "Restored");
        using var byAdmin = await AuthClient.PostAsync(http, $"/api/admin/projects/{projectId}/$restore", token, new { backup = backupId });
        using var unknown = await AuthClient.PostAsync(http, $"/api/admin/projects/{targetId}/$restore", superAdmin, new { source = projectId, backup = new string('0', 32) });
        using var wrongIds = await AuthClient.PostAsync(http, $"/api/admin/projects/{targetId}/$restore", superAdmin, new { source = projectId, backup = backupId, ids = "shuffle" });
        using var notEmpty = await AuthClient.PostAsync(http, $"/api/admin/projects/{projectId}/$restore", superAdmin, new { backup = backupId });
        Assert.Equal(HttpStatusCode.Forbidden, byAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongIds.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, notEmpty.StatusCode);

        using var restore = await AuthClient.PostAsync(http, $"/api/admin/projects/{targetId}/$restore", superAdmin, new { source = projectId, backup = backupId });
        var done = await CompleteAsync(http, await ExportApi.StatusUrlAsync(restore), superAdmin);
        Assert.Equal(5, done.GetProperty("restored").GetInt64());
        Assert.Equal("keep", done.GetProperty("ids").GetString());

        var targetToken = await AuthClient.TokenAsync(http, targetClient, targetSecret);
        foreach (var path in new[] { $"Patient/{patient}", $"Patient/{patient}/_history/1", $"Observation/{observation}", $"Observation?subject=Patient/{patient}" })
        {
            using var original = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/{path}", token);
            using var restored = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/{path}", targetToken);
            Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
            Assert.Equal(Resources(await original.Content.ReadAsStringAsync()), Resources(await restored.Content.ReadAsStringAsync()));
        }

        using var stillGone = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Observation/{deleted}", targetToken);
        Assert.Equal(HttpStatusCode.Gone, stillGone.StatusCode);
        using var again = await AuthClient.PostAsync(http, $"/api/admin/projects/{targetId}/$restore", superAdmin, new { source = projectId, backup = backupId });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Large_resources_restore_in_writes_within_the_stores_size_limit_and_two_racing_restores_cannot_both_start()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (projectId, token) = await AuthClient.NewProjectTokenAsync(http, app, "Large resources");
        var text = new string('x', 40_000);
        await ProjectSeeding.CommitAsync(Store.For(ProjectScope.Of(projectId)),
            [.. Enumerable.Range(0, 60).Select(i => new Observation { Id = $"big{i}", Status = ObservationStatus.Final, Code = new CodeableConcept("urn:x", "big"), Value = new FhirString(text) })],
            DateTimeOffset.UtcNow.AddMinutes(-1), inFlight: 1, perBatch: 4);
        using var kickoff = await ExportApi.KickoffAsync(http, token, "$backup", string.Empty);
        var status = await ExportApi.StatusUrlAsync(kickoff);
        await ExportApi.ManifestAsync(http, status, token);
        var backupId = status[(status.LastIndexOf('/') + 1)..];
        var (targetId, targetClient, targetSecret) = await AuthClient.CreateProjectAsync(http, superAdmin, "Large restored");

        var racing = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => AuthClient.PostAsync(http, $"/api/admin/projects/{targetId}/$restore", superAdmin, new { source = projectId, backup = backupId })));
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Conflict], racing.Select(r => r.StatusCode).Order());
        var done = await CompleteAsync(http, await ExportApi.StatusUrlAsync(racing.Single(r => r.StatusCode == HttpStatusCode.Accepted)), superAdmin);
        Array.ForEach(racing, r => r.Dispose());

        Assert.Equal(60, done.GetProperty("restored").GetInt64());
        Assert.Equal(60, await CountAsync(http, await AuthClient.TokenAsync(http, targetClient, targetSecret), "Observation?code=urn:x|big"));
    }

    /// <summary>Patients and Observations (each of a patient), written as the store writes them.</summary>
    private async Task SeedAsync(string projectId)
    {
        var resources = new List<Resource>();
        for (var i = 0; i < Patients; i++)
        {
            resources.Add(new Patient { Id = $"p{i:D5}", Name = [new HumanName { Family = $"Generated{i}" }], BirthDate = $"1970-02-{1 + (i % 28):00}" });
        }

        for (var i = 0; i < Observations; i++)
        {
            resources.Add(new Observation
            {
                Id = $"o{i:D5}",
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "8867-4"),
                Subject = new ResourceReference($"Patient/p{i % Patients:D5}"),
                Value = new Quantity(60 + (i % 40), "/min"),
            });
        }

        await ProjectSeeding.CommitAsync(Store.For(ProjectScope.Of(projectId)), resources, DateTimeOffset.UtcNow.AddMinutes(-5), inFlight: 8);
    }

    /// <summary>Every version of the project's Patients and Observations, straight from the store.</summary>
    private async Task<Dictionary<(string Type, string Id, int Version), StoredResource>> VersionsAsync(string projectId)
    {
        var found = new Dictionary<(string, string, int), StoredResource>();
        foreach (var type in new[] { "Patient", "Observation" })
        {
            string? page = null;
            do
            {
                var (versions, next) = await Store.For(ProjectScope.Of(projectId)).VersionsAsync(type, DateTimeOffset.MaxValue, currentOnly: false, 1000, page, default);
                foreach (var version in versions)
                {
                    found.Add((version.ResourceType, version.Id, version.VersionId), version);
                }

                page = next;
            }
            while (page is not null);
        }

        return found;
    }

    [Fact]
    public async Task A_tenancy_line_with_a_lone_surrogate_fails_the_restore_and_stores_no_policy()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (projectId, token) = await AuthClient.NewProjectTokenAsync(http, app, "Tampered tenancy");
        using var kickoff = await ExportApi.KickoffAsync(http, token, "$backup", string.Empty);
        var status = await ExportApi.StatusUrlAsync(kickoff);
        var manifest = await ExportApi.ManifestAsync(http, status, token);
        var file = ExportTypeProgress.FileName(BackupScope.TenancyType, 1);
        Assert.Equal([$"{status}/{file}"], manifest.GetProperty("output").EnumerateArray()
            .Where(o => o.GetProperty("type").GetString() == BackupScope.TenancyType).Select(o => o.GetProperty("url").GetString()));
        var backupId = status[(status.LastIndexOf('/') + 1)..];

        // The only tenancy file rewritten in Blob Storage: one policy whose name is valid JSON but no UTF-16 text (\ud800
        // alone). Nothing compares a file with the SHA-256 its backup recorded; a check that did would fail this test first.
        const string Policy = """{"resourceType":"AccessPolicy","id":"tampered","name":"Ward \ud800","resource":[{"resourceType":"Patient"}]}""";
        var files = app.Services.GetRequiredService<IExportFiles>();
        var block = ExportTypeProgress.NewBlockId(0);
        await files.StageAsync(projectId, backupId, file, block, Encoding.UTF8.GetBytes(Policy + "\n"), default);
        await files.CommitAsync(projectId, backupId, file, [block], default);

        var (targetId, targetClient, targetSecret) = await AuthClient.CreateProjectAsync(http, superAdmin, "Tampered target");
        using var restore = await AuthClient.PostAsync(http, $"/api/admin/projects/{targetId}/$restore", superAdmin, new { source = projectId, backup = backupId });
        var (code, failure) = await AnsweredAsync(http, await ExportApi.StatusUrlAsync(restore), superAdmin);
        Assert.Equal(HttpStatusCode.InternalServerError, code);
        Assert.Contains($"{file} at byte 0: {JsonEscapes.Refusal}", failure, StringComparison.Ordinal);
        var targetToken = await AuthClient.TokenAsync(http, targetClient, targetSecret);
        using var policy = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/AccessPolicy/tampered", targetToken);
        Assert.Equal(HttpStatusCode.NotFound, policy.StatusCode);
    }

    /// <summary>The source's JSON with its own id and the patient references replaced by their new ids, as text.</summary>
    private static string Remapped(string json, RestoreIds ids)
    {
        if (json.Length == 0)
        {
            return json;
        }

        var node = JsonNode.Parse(json)!;
        var type = node["resourceType"]!.GetValue<string>();
        var id = node["id"]!.GetValue<string>();
        var text = json.Replace($"\"id\":\"{id}\"", $"\"id\":\"{ids.Map(type, id)}\"", StringComparison.Ordinal);
        foreach (var patient in text.Split("\"Patient/").Skip(1).Select(s => s[..s.IndexOf('"', StringComparison.Ordinal)]).Distinct().ToList())
        {
            text = text.Replace($"\"Patient/{patient}\"", $"\"Patient/{ids.Map("Patient", patient)}\"", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>A content hash that does not depend on how the JSON was escaped or spaced.</summary>
    private static string Hash(string json) =>
        json.Length == 0 ? string.Empty : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonNode.Parse(json)!.ToJsonString())));

    /// <summary>The resource, or a search's resources, as content hashes.</summary>
    private static List<string> Resources(string answer)
    {
        var root = JsonNode.Parse(answer)!;
        return root["resourceType"]!.GetValue<string>() == "Bundle"
            ? [.. root["entry"]!.AsArray().Select(e => Hash(e!["resource"]!.ToJsonString())).Order(StringComparer.Ordinal)]
            : [Hash(answer)];
    }

    private static async Task<string> CreateAsync(HttpClient http, string token, string json)
    {
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, $"/api/fhir/R4/{JsonNode.Parse(json)!["resourceType"]}", token, AuthClient.Body(json));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    private static async Task<int> CountAsync(HttpClient http, string token, string search)
    {
        using var response = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/{search}{(search.Contains('?', StringComparison.Ordinal) ? '&' : '?')}_summary=count", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["total"]!.GetValue<int>();
    }

    /// <summary>Polls a restore's status until it is complete (asserting 200): its answer.</summary>
    private static async Task<JsonElement> CompleteAsync(HttpClient http, string status, string token)
    {
        var (code, body) = await AnsweredAsync(http, status, token);
        Assert.True(code == HttpStatusCode.OK, $"{(int)code}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls a restore's status while it runs (202 with X-Progress; 3 minutes at most): the first other answer.</summary>
    private static async Task<(HttpStatusCode Code, string Body)> AnsweredAsync(HttpClient http, string status, string token)
    {
        for (var i = 0; i < 1800; i++)
        {
            using var poll = await ExportApi.GetAsync(http, status, token);
            if (poll.StatusCode != HttpStatusCode.Accepted)
            {
                return (poll.StatusCode, await poll.Content.ReadAsStringAsync());
            }

            Assert.True(poll.Headers.Contains("X-Progress"));
            await Task.Delay(100);
        }

        throw new TimeoutException("The restore did not end within 3 minutes.");
    }
}
