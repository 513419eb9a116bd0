using System.Net;
using System.Text.Json.Nodes;
using Enclave.Api.Tests.Access;
using Enclave.Api.Tests.Auth;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Audit;

/// <summary>
/// Every interaction leaves exactly one audit record in its project — found by the answer's correlation id, read
/// straight from Cosmos DB — with the right function, agent, entity and outcome, whether it succeeded or was refused.
/// </summary>
public sealed class AuditTrailTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    /// <summary>The HTTP functions that are not audited: public, and serving no project's data.</summary>
    private static readonly string[] s_unaudited = ["FhirMetadata", "Health", "Jwks", "OpenIdConfiguration", "SmartConfiguration"];

    private Container Container => app.Services.GetRequiredService<Container>();

    private async Task<(PolicyProject Project, string Membership)> NewProjectAsync(string name)
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), name);
        var (_, memberships) = await project.CallAsync(HttpMethod.Get, "ProjectMembership", project.AdminToken);
        return (project, memberships.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString()!);
    }

    private async Task<AuditRecords.Document> OneRecordAsync(PolicyProject project, HttpResponseMessage response)
    {
        var records = await AuditRecords.OfAsync(Container, project.ProjectId, AuditRecords.Trace(response));
        return Assert.Single(records);
    }

    [Fact]
    public void Only_the_reviewed_public_functions_are_not_audited()
    {
        var unaudited = FunctionCatalog.App.Entries.Where(e => e.Trigger == FunctionEntry.HttpTrigger && e.Audited is null).Select(e => e.Name).Order(StringComparer.Ordinal);

        Assert.Equal(s_unaudited, unaudited);
    }

    [Fact]
    public async Task Every_audited_function_leaves_exactly_one_record_with_its_agent_and_outcome()
    {
        var (project, membership) = await NewProjectAsync("Audit sweep");
        var checkedCount = 0;
        foreach (var entry in FunctionCatalog.App.Entries.Where(e => e is { Trigger: FunctionEntry.HttpTrigger, Audited: not null, Anonymous: false }))
        {
            foreach (var method in entry.HttpMethods)
            {
                var path = "/api/" + entry.Route!.Replace("{type}", "Patient", StringComparison.Ordinal).Replace("{id}", "x1", StringComparison.Ordinal)
                    .Replace("{vid}", "1", StringComparison.Ordinal).Replace("{projectId}", project.ProjectId, StringComparison.Ordinal)
                    .Replace("{jobId}", "job1", StringComparison.Ordinal).Replace("{file}", "Patient-1.ndjson", StringComparison.Ordinal);
                using var response = await AuthClient.SendAsync(project.Http, new HttpMethod(method), path, project.AdminToken,
                    method is "GET" or "DELETE" ? null : AuthClient.Body("{}"));
                var what = $"{method} {entry.Name} ({(int)response.StatusCode})";

                var records = await AuditRecords.OfAsync(Container, project.ProjectId, AuditRecords.Trace(response));
                var record = Assert.Single(records);
                Assert.True(record.Function == entry.Name, what);
                Assert.True(record.Membership == membership, what);
                Assert.True(record.OutcomeDesc.StartsWith(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), $"{what}: {record.OutcomeDesc}");
                Assert.True(record.Outcome == ((int)response.StatusCode < 400 ? "0" : (int)response.StatusCode < 500 ? "4" : "8"), what);
                Assert.True(record.Interaction == entry.Audited!.Codes.SubtypeCode, what);
                checkedCount++;
            }
        }

        Assert.True(checkedCount >= 45, $"Only {checkedCount} calls checked.");
    }

    [Fact]
    public async Task Reads_writes_and_searches_record_the_version_they_touched_and_never_a_value()
    {
        var (project, _) = await NewProjectAsync("Audit entities");
        using var created = await project.SendAsync(HttpMethod.Post, "Patient", project.AdminToken, """{"resourceType":"Patient","name":[{"family":"Smith"}]}""");
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        using var read = await project.SendAsync(HttpMethod.Get, $"Patient/{id}", project.AdminToken);
        using var updated = await project.SendAsync(HttpMethod.Put, $"Patient/{id}", project.AdminToken, $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"family":"Smythe"}]}""");
        using var searched = await project.SendAsync(HttpMethod.Get, "Patient?family=Smith&_count=5", project.AdminToken);
        using var posted = await project.SendAsync(HttpMethod.Post, "Patient/_search", project.AdminToken, "family=Smythe", "application/x-www-form-urlencoded");
        using var deleted = await project.SendAsync(HttpMethod.Delete, $"Patient/{id}", project.AdminToken);

        var create = await OneRecordAsync(project, created);
        var readRecord = await OneRecordAsync(project, read);
        var update = await OneRecordAsync(project, updated);
        var search = await OneRecordAsync(project, searched);
        var post = await OneRecordAsync(project, posted);
        var delete = await OneRecordAsync(project, deleted);

        Assert.Equal([$"Patient/{id}/_history/1"], create.Entities);
        Assert.Equal(("201", "C"), (create.OutcomeDesc, create.Resource.GetProperty("action").GetString()));
        Assert.Equal([$"Patient/{id}/_history/1"], readRecord.Entities);
        Assert.Equal(("200", "R"), (readRecord.OutcomeDesc, readRecord.Resource.GetProperty("action").GetString()));
        Assert.Equal([$"Patient/{id}/_history/2"], update.Entities);
        Assert.Equal([$"Patient/{id}/_history/3"], delete.Entities);
        Assert.Equal("204", delete.OutcomeDesc);
        Assert.Equal($"Patient?family=sha256:{Domain.Audit.AuditQuery.Hash("Smith")}&_count=5", search.Query);
        Assert.Equal($"Patient?family=sha256:{Domain.Audit.AuditQuery.Hash("Smythe")}", post.Query);
        foreach (var record in new[] { create, readRecord, update, search, post, delete })
        {
            Assert.DoesNotContain("Smith", record.Resource.GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain("Smythe", record.Resource.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_transaction_is_one_record_and_a_batch_one_per_entry_and_one_for_itself()
    {
        var (project, _) = await NewProjectAsync("Audit bundles");
        using var transaction = await project.SendAsync(HttpMethod.Post, string.Empty, project.AdminToken, """
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:4e0c7b1a-3b8e-4a57-9a57-0d7e3f5d2a11","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:4e0c7b1a-3b8e-4a57-9a57-0d7e3f5d2a11"}},"request":{"method":"POST","url":"Observation"}}]}
            """);
        using var batch = await project.SendAsync(HttpMethod.Post, string.Empty, project.AdminToken, """
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"request":{"method":"GET","url":"Patient/nobody"}},
              {"resource":{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2026-01-01T00:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"forged"}}},"request":{"method":"POST","url":"AuditEvent"}}]}
            """);
        Assert.True(transaction.StatusCode == HttpStatusCode.OK, await transaction.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);

        var one = await OneRecordAsync(project, transaction);
        var many = await AuditRecords.OfAsync(Container, project.ProjectId, AuditRecords.Trace(batch));

        Assert.Equal("transaction", one.Interaction);
        Assert.Equal(2, one.Entities.Count);
        Assert.Equal(["batch 200", "create 201", "create 405", "read 404"], many.Select(r => $"{r.Interaction} {r.OutcomeDesc.Split(' ')[0]}").Order(StringComparer.Ordinal));
        Assert.All(many, r => Assert.Equal("FhirBundle", r.Function));
    }

    [Fact]
    public async Task Refusals_record_why_and_the_deciding_rule_is_named()
    {
        var (project, _) = await NewProjectAsync("Audit refusals");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await project.PutPolicyAsync("observations", """[{"resourceType":"Observation"},{"resourceType":"Patient","readonly":true}]""");
        var member = await project.MemberAsync("Observer", "[" + PolicyProject.Access("observations") + "]");

        using var allowed = await project.SendAsync(HttpMethod.Get, $"Patient/{patient}", member);
        using var forbidden = await project.SendAsync(HttpMethod.Put, $"Patient/{patient}", member, $$"""{"resourceType":"Patient","id":"{{patient}}","active":false}""");
        using var notFound = await project.SendAsync(HttpMethod.Get, "Observation/missing", member);
        using var notAdmin = await project.SendAsync(HttpMethod.Get, "AuditEvent", member);
        using var badFormat = await project.SendAsync(HttpMethod.Get, $"Patient/{patient}?_format=text/csv", member);
        using var appendOnly = await project.SendAsync(HttpMethod.Post, "AuditEvent", project.AdminToken, """{"resourceType":"AuditEvent","recorded":"2026-01-01T00:00:00Z"}""");
        using var badBody = await project.SendAsync(HttpMethod.Post, "Patient", member, """{"resourceType":"Patient","active":"maybe"}""");

        var allowedRecord = await OneRecordAsync(project, allowed);
        Assert.Equal("200", allowedRecord.OutcomeDesc);
        Assert.Single(allowedRecord.Policies, p => p.StartsWith("AccessPolicy/observations", StringComparison.Ordinal));
        Assert.Equal("403 forbidden", (await OneRecordAsync(project, forbidden)).OutcomeDesc);
        Assert.Equal("404 not-found", (await OneRecordAsync(project, notFound)).OutcomeDesc);
        Assert.Equal("403 forbidden", (await OneRecordAsync(project, notAdmin)).OutcomeDesc);
        Assert.Equal(((int)badFormat.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), (await OneRecordAsync(project, badFormat)).OutcomeDesc.Split(' ')[0]);
        Assert.Equal("405 not-supported", (await OneRecordAsync(project, appendOnly)).OutcomeDesc);
        Assert.Equal("400 invalid", (await OneRecordAsync(project, badBody)).OutcomeDesc);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, appendOnly.StatusCode);
    }

    [Fact]
    public async Task Token_requests_are_recorded_in_the_clients_project_and_unattributable_ones_nowhere()
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (projectId, clientId, secret) = await AuthClient.CreateProjectAsync(http, superAdmin, "Audit tokens");

        using var issued = await AuthClient.RequestTokenAsync(http, clientId, secret);
        using var refused = await AuthClient.RequestTokenAsync(http, clientId, "wrong-secret");
        using var unknown = await AuthClient.RequestTokenAsync(http, "no-such-client", "wrong-secret");
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var all = await AuditRecords.AllAsync(Container, projectId);
        var ok = Assert.Single(all, r => r.Trace == AuditRecords.Trace(issued));
        var no = Assert.Single(all, r => r.Trace == AuditRecords.Trace(refused));
        Assert.Equal(("Token", "0", "110122"), (ok.Function, ok.Outcome, ok.Interaction));
        Assert.Equal(("4", "401 login"), (no.Outcome, no.OutcomeDesc));
        Assert.DoesNotContain(all, r => r.Trace == AuditRecords.Trace(unknown));
    }

    [Fact]
    public async Task A_race_of_updates_leaves_one_record_per_request_and_one_success_per_version()
    {
        var (project, _) = await NewProjectAsync("Audit race");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await project.SendAsync(HttpMethod.Put, $"Patient/{patient}", project.AdminToken,
                $$"""{"resourceType":"Patient","id":"{{patient}}","active":true,"gender":"{{(i % 2 == 0 ? "male" : "female")}}","birthDate":"19{{10 + i}}"}""");
            return (response.StatusCode, Trace: AuditRecords.Trace(response));
        }));

        var all = await AuditRecords.AllAsync(Container, project.ProjectId);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var versions = answers.Select(a => Assert.Single(all, r => r.Trace == a.Trace)).Select(r => Assert.Single(r.Entities)).ToList();
        Assert.Equal(Enumerable.Range(2, 8).Select(v => $"Patient/{patient}/_history/{v}"), versions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_reads_record_is_stored_before_its_answer_arrives()
    {
        var (project, _) = await NewProjectAsync("Audit durable");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");

        using var read = await project.SendAsync(HttpMethod.Get, $"Patient/{patient}", project.AdminToken);
        var trace = AuditRecords.Trace(read);

        // No waiting: the record is in Cosmos DB the moment the answer is.
        var record = Assert.Single(await AuditRecords.OfAsync(Container, project.ProjectId, trace));
        Assert.Equal([$"Patient/{patient}/_history/1"], record.Entities);
    }

    [Fact]
    public async Task Records_live_as_long_as_the_projects_retention()
    {
        var (project, _) = await NewProjectAsync("Audit retention");
        using var before = await project.SendAsync(HttpMethod.Get, "Patient", project.AdminToken);
        var (_, stored) = await project.CallAsync(HttpMethod.Get, $"Project/{project.ProjectId}", project.AdminToken);
        var changed = JsonNode.Parse(stored.GetRawText())!.AsObject();
        changed["setting"] = new JsonArray(new JsonObject { ["name"] = "auditRetentionDays", ["valueDecimal"] = 3 });
        using var put = await project.SendAsync(HttpMethod.Put, $"Project/{project.ProjectId}", project.AdminToken, changed.ToJsonString());
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        using var after = await project.SendAsync(HttpMethod.Get, "Patient", project.AdminToken);

        Assert.Equal(2192 * 86400, (await OneRecordAsync(project, before)).TimeToLive);
        Assert.Equal(3 * 86400, (await OneRecordAsync(project, after)).TimeToLive);
        foreach (var bad in new[] { """{"name":"auditRetentionDays","valueDecimal":0}""", """{"name":"auditRetentionDays","valueDecimal":1.5}""",
            """{"name":"auditRetentionDays","valueDecimal":1e12}""", """{"name":"auditRetentionDays","valueString":"7"}""", "null",
            """{"name":"inheritAccounts","valueString":"no"}""" })
        {
            changed["setting"] = JsonNode.Parse($"[{bad}]");
            using var refused = await project.SendAsync(HttpMethod.Put, $"Project/{project.ProjectId}", project.AdminToken, changed.ToJsonString());
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{bad}: {(int)refused.StatusCode} {text}");
            Assert.Contains("setting[", text, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, "Patient", project.AdminToken)).Status);
    }

    [Fact]
    public async Task Set_accounts_records_itself_and_each_resource_it_relabels()
    {
        var (project, _) = await NewProjectAsync("Audit set-accounts");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        var organization = await project.CreateAsync("""{"resourceType":"Organization","name":"Clinic"}""");

        using var relabelled = await project.SendAsync(HttpMethod.Post, $"Patient/{patient}/$set-accounts", project.AdminToken,
            $$$"""{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"Organization/{{{organization}}}"}}]}""");
        Assert.True(relabelled.IsSuccessStatusCode, await relabelled.Content.ReadAsStringAsync());

        var records = await AuditRecords.OfAsync(Container, project.ProjectId, AuditRecords.Trace(relabelled));
        Assert.Equal(["operation 200", "update 200", "update 200"], records.Select(r => $"{r.Interaction} {r.OutcomeDesc}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Admins_search_their_projects_records_and_nobody_elses()
    {
        var (project, membership) = await NewProjectAsync("Audit search");
        var (other, _) = await NewProjectAsync("Audit search other");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        using var missing = await project.SendAsync(HttpMethod.Get, "Patient/missing", project.AdminToken);

        var (status, byEntity) = await project.CallAsync(HttpMethod.Get, $"AuditEvent?entity=Patient/{patient}", project.AdminToken);
        var (_, failures) = await project.CallAsync(HttpMethod.Get, "AuditEvent?outcome=4", project.AdminToken);
        var (_, byAgent) = await project.CallAsync(HttpMethod.Get, $"AuditEvent?altid={membership}&subtype=urn:enclave:function|FhirCreate&date=ge2020-01-01", project.AdminToken);
        var (_, byType) = await project.CallAsync(HttpMethod.Get, "AuditEvent?type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest&_count=1", project.AdminToken);
        var (_, othersView) = await other.CallAsync(HttpMethod.Get, $"AuditEvent?entity=Patient/{patient}", other.AdminToken);
        var first = byEntity.GetProperty("entry")[0].GetProperty("resource");
        var (readStatus, readBack) = await project.CallAsync(HttpMethod.Get, $"AuditEvent/{first.GetProperty("id").GetString()}", project.AdminToken);
        var (otherRead, _) = await other.CallAsync(HttpMethod.Get, $"AuditEvent/{first.GetProperty("id").GetString()}", other.AdminToken);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, byEntity.GetProperty("entry").GetArrayLength());
        Assert.Contains(failures.GetProperty("entry").EnumerateArray(), e => e.GetProperty("resource").GetProperty("outcomeDesc").GetString() == "404 not-found");
        Assert.Equal(1, byAgent.GetProperty("entry").GetArrayLength());
        Assert.Equal(1, byType.GetProperty("entry").GetArrayLength());
        Assert.Contains(byType.GetProperty("link").EnumerateArray(), l => l.GetProperty("relation").GetString() == "next");
        Assert.False(othersView.TryGetProperty("entry", out _));
        Assert.Equal(HttpStatusCode.OK, readStatus);
        Assert.Equal(first.GetRawText(), readBack.GetRawText());
        Assert.Equal(HttpStatusCode.NotFound, otherRead);
    }

    [Fact]
    public async Task Verify_finds_an_intact_chain_and_names_the_first_tampered_record()
    {
        var (project, _) = await NewProjectAsync("Audit tamper");
        for (var i = 0; i < 5; i++)
        {
            using var _ = await project.SendAsync(HttpMethod.Get, $"Patient/p{i}", project.AdminToken);
        }

        var (_, intact) = await project.CallAsync(HttpMethod.Get, "AuditEvent/$verify", project.AdminToken);
        Assert.True(AuditRecords.Parameter(intact, "result").GetProperty("valueBoolean").GetBoolean(), intact.GetRawText());
        // Every record is sealed as it is stored, $verify's own (appended after its answer) included.
        var all = await AuditRecords.AllAsync(Container, project.ProjectId);
        Assert.All(all, r => Assert.NotNull(r.Chain));
        var victim = all.Where(r => r.Chain is not null).OrderBy(r => r.Chain!.Value.GetProperty("seq").GetInt64()).ElementAt(3);

        // An insider edits one record in the database: 404 becomes 200.
        using (var stored = await Container.ReadItemStreamAsync(victim.Id, new PartitionKey(project.ProjectId)))
        {
            var document = (await JsonNode.ParseAsync(stored.Content))!.AsObject();
            document["resource"]!["outcomeDesc"] = "200";
            using var replaced = await Container.ReplaceItemStreamAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString())), victim.Id,
                new PartitionKey(project.ProjectId));
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        var (_, broken) = await project.CallAsync(HttpMethod.Get, "AuditEvent/$verify", project.AdminToken);

        Assert.False(AuditRecords.Parameter(broken, "result").GetProperty("valueBoolean").GetBoolean());
        Assert.Equal($"AuditEvent/{victim.Id[6..]}", AuditRecords.Parameter(broken, "brokenAt").GetProperty("valueReference").GetProperty("reference").GetString());
        Assert.Contains("does not match its hash", AuditRecords.Parameter(broken, "problem").GetProperty("valueString").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_names_a_deleted_record_and_a_missing_tail()
    {
        var (project, _) = await NewProjectAsync("Audit deletion");
        for (var i = 0; i < 6; i++)
        {
            using var _ = await project.SendAsync(HttpMethod.Get, $"Patient/p{i}", project.AdminToken);
        }

        using (var sealing = await project.SendAsync(HttpMethod.Get, "AuditEvent/$verify", project.AdminToken))
        {
            Assert.Equal(HttpStatusCode.OK, sealing.StatusCode);
        }

        var ordered = (await AuditRecords.AllAsync(Container, project.ProjectId)).Where(r => r.Chain is not null).OrderBy(r => r.Chain!.Value.GetProperty("seq").GetInt64()).ToList();
        using (await Container.DeleteItemStreamAsync(ordered[2].Id, new PartitionKey(project.ProjectId)))
        {
        }

        var (_, gap) = await project.CallAsync(HttpMethod.Get, $"AuditEvent/$verify?to={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddYears(1).ToString("O"))}", project.AdminToken);
        Assert.False(AuditRecords.Parameter(gap, "result").GetProperty("valueBoolean").GetBoolean());
        Assert.Contains("record 3 is missing", AuditRecords.Parameter(gap, "problem").GetProperty("valueString").GetString(), StringComparison.Ordinal);
        Assert.Equal($"AuditEvent/{ordered[3].Id[6..]}", AuditRecords.Parameter(gap, "brokenAt").GetProperty("valueReference").GetProperty("reference").GetString());
    }
}
