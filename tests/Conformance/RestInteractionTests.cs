using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace Enclave.Conformance.Tests;

/// <summary>R4 http.html: the instance and type interactions, versions, concurrency and conditional forms.</summary>
public sealed class RestInteractionTests(ConformanceFixture suite) : ConformanceTest(suite)
{
    [Fact]
    [SpecRule("http.html#create", Level.Shall, "create assigns the id, answers 201 with Location (…/_history/n), ETag and Last-Modified", Covers = ["interaction:create"])]
    public System.Threading.Tasks.Task Create() => RuleAsync(async p =>
    {
        var (response, text) = await p.SendAsync(HttpMethod.Post, "Patient", """{"resourceType":"Patient","id":"client-chosen","active":true}""");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = System.Text.Json.JsonDocument.Parse(text).RootElement;
        var id = created.GetProperty("id").GetString()!;
        Assert.NotEqual("client-chosen", id);
        Assert.EndsWith($"/Patient/{id}/_history/1", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal("W/\"1\"", response.Headers.ETag!.ToString());
        Assert.NotNull(response.Content.Headers.LastModified);
    });

    [Fact]
    [SpecRule("http.html#read", Level.Shall, "read returns the current resource with its id, ETag and Last-Modified", Covers = ["interaction:read"])]
    public System.Threading.Tasks.Task Read() => RuleAsync(async p =>
    {
        var created = await p.Client.CreateAsync(new Patient { Active = true });

        var read = await p.Client.ReadAsync<Patient>($"Patient/{created!.Id}");

        Assert.Equal(created.Id, read!.Id);
        Assert.Equal("1", read.Meta?.VersionId);
        Assert.Equal("W/\"1\"", p.Client.LastResult!.Etag);
    });

    [Fact]
    [SpecRule("http.html#read", Level.Shall, "a read of an unknown resource is 404 with an OperationOutcome")]
    public System.Threading.Tasks.Task Read_unknown() => RuleAsync(async p =>
    {
        var (response, text) = await p.SendAsync(HttpMethod.Get, "Patient/nobody-here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("OperationOutcome", text, StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("http.html#read", Level.Should, "a read of a deleted resource is 410 Gone")]
    public System.Threading.Tasks.Task Read_deleted() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient"}""");
        await p.SendAsync(HttpMethod.Delete, $"Patient/{id}");

        var (response, _) = await p.SendAsync(HttpMethod.Get, $"Patient/{id}");

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
    });

    [Fact]
    [SpecRule("http.html#vread", Level.Shall, "vread returns exactly the version asked for, also after later versions and a delete",
        Covers = ["interaction:vread", "versioning:versioned", "readHistory"])]
    public System.Threading.Tasks.Task Vread() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await p.JsonAsync(HttpMethod.Put, $"Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","active":false}""");
        await p.SendAsync(HttpMethod.Delete, $"Patient/{id}");

        var first = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}/_history/1");

        Assert.True(first.GetProperty("active").GetBoolean());
        Assert.Equal("1", first.GetProperty("meta").GetProperty("versionId").GetString());
    });

    [Fact]
    [SpecRule("http.html#update", Level.Shall, "update makes a new version; update of a new id creates it (201)", Covers = ["interaction:update", "updateCreate"])]
    public System.Threading.Tasks.Task Update() => RuleAsync(async p =>
    {
        var (created, _) = await p.SendAsync(HttpMethod.Put, "Patient/chosen-by-client", """{"resourceType":"Patient","id":"chosen-by-client","active":true}""");
        var (updated, text) = await p.SendAsync(HttpMethod.Put, "Patient/chosen-by-client", """{"resourceType":"Patient","id":"chosen-by-client","active":false}""");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("W/\"2\"", updated.Headers.ETag!.ToString());
        Assert.Contains("\"active\":false", text, StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("http.html#update", Level.Shall, "an update whose body id differs from the address is 400")]
    public System.Threading.Tasks.Task Update_id_mismatch() => RuleAsync(async p =>
    {
        var (response, _) = await p.SendAsync(HttpMethod.Put, "Patient/a1", """{"resourceType":"Patient","id":"a2"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    });

    [Fact]
    [SpecRule("http.html#concurrency", Level.Shall, "If-Match with a stale version is 412 and changes nothing")]
    public System.Threading.Tasks.Task Stale_if_match() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await p.JsonAsync(HttpMethod.Put, $"Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","active":false}""");

        var (response, _) = await p.SendAsync(HttpMethod.Put, $"Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","gender":"other"}""", headers: ("If-Match", "W/\"1\""));
        var current = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}");

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("2", current.GetProperty("meta").GetProperty("versionId").GetString());
    });

    [Fact]
    [SpecRule("http.html#patch", Level.Shall, "patch applies JSON Patch and FHIRPath Patch and makes a new version", Covers = ["interaction:patch"])]
    public System.Threading.Tasks.Task Patch() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","active":true}""");

        var (json, _) = await p.SendAsync(HttpMethod.Patch, $"Patient/{id}", """[{"op":"replace","path":"/active","value":false}]""", "application/json-patch+json");
        var (fhirpath, text) = await p.SendAsync(HttpMethod.Patch, $"Patient/{id}",
            """{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"gender"},{"name":"value","valueCode":"other"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fhirpath.StatusCode);
        Assert.Contains("\"gender\":\"other\"", text, StringComparison.Ordinal);
        Assert.Contains("\"active\":false", text, StringComparison.Ordinal);
        Assert.Equal("W/\"3\"", fhirpath.Headers.ETag!.ToString());
    });

    [Fact]
    [SpecRule("http.html#delete", Level.Shall, "delete answers 204 (or 200), records a version, and later reads are 410", Covers = ["interaction:delete"])]
    public System.Threading.Tasks.Task Delete() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient"}""");

        var (deleted, _) = await p.SendAsync(HttpMethod.Delete, $"Patient/{id}");
        var (again, _) = await p.SendAsync(HttpMethod.Delete, $"Patient/{id}");
        var history = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}/_history");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(2, history.GetProperty("entry").GetArrayLength());
    });

    [Fact]
    [SpecRule("http.html#ccreate", Level.Shall, "conditional create: one match answers 200 with it and creates nothing", Covers = ["conditionalCreate"])]
    public System.Threading.Tasks.Task Conditional_create() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"c1"}]}""");

        var (response, text) = await p.SendAsync(HttpMethod.Post, "Patient", """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"c1"}]}""",
            headers: ("If-None-Exist", "identifier=urn:mrn|c1"));
        var found = await p.JsonAsync(HttpMethod.Get, "Patient?identifier=urn:mrn|c1&_total=accurate");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(id, text, StringComparison.Ordinal);
        Assert.Equal(1, found.GetProperty("total").GetInt32());
    });

    [Fact]
    [SpecRule("http.html#cond-update", Level.Shall, "conditional update: no match creates, one match updates, several are 412", Covers = ["conditionalUpdate"])]
    public System.Threading.Tasks.Task Conditional_update() => RuleAsync(async p =>
    {
        var (created, _) = await p.SendAsync(HttpMethod.Put, "Patient?identifier=urn:mrn|u1", """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"u1"}]}""");
        var (updated, _) = await p.SendAsync(HttpMethod.Put, "Patient?identifier=urn:mrn|u1", """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"u1"}],"active":true}""");
        await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"u1"}]}""");
        var (ambiguous, _) = await p.SendAsync(HttpMethod.Put, "Patient?identifier=urn:mrn|u1", """{"resourceType":"Patient","active":false}""");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, ambiguous.StatusCode);
    });

    [Fact]
    [SpecRule("http.html#cdelete", Level.Shall, "conditional delete of one match deletes it; several matches are 412 (single)", Covers = ["conditionalDelete:single"])]
    public System.Threading.Tasks.Task Conditional_delete() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"d1"}]}""");
        await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"d2"}]}""");
        await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"d2"}]}""");

        var (one, _) = await p.SendAsync(HttpMethod.Delete, "Patient?identifier=urn:mrn|d1");
        var (several, _) = await p.SendAsync(HttpMethod.Delete, "Patient?identifier=urn:mrn|d2");
        var (gone, _) = await p.SendAsync(HttpMethod.Get, $"Patient/{id}");

        Assert.Equal(HttpStatusCode.NoContent, one.StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, several.StatusCode);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
    });

    [Fact]
    [SpecRule("http.html#cread", Level.Should, "conditional read: If-None-Match with the current ETag, or If-Modified-Since, is 304", Covers = ["conditionalRead:full-support"])]
    public System.Threading.Tasks.Task Conditional_read() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient"}""");

        var (etag, _) = await p.SendAsync(HttpMethod.Get, $"Patient/{id}", headers: ("If-None-Match", "W/\"1\""));
        var (since, _) = await p.SendAsync(HttpMethod.Get, $"Patient/{id}", headers: ("If-Modified-Since", DateTimeOffset.UtcNow.AddMinutes(1).ToString("R")));
        var (stale, _) = await p.SendAsync(HttpMethod.Get, $"Patient/{id}", headers: ("If-None-Match", "W/\"0\""));

        Assert.Equal(HttpStatusCode.NotModified, etag.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, since.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
    });

    [Fact]
    [SpecRule("http.html#history", Level.Shall, "history of an instance, a type and the system lists versions newest first, deletes included",
        Covers = ["interaction:history-instance", "interaction:history-type", "interaction:history-system"])]
    public System.Threading.Tasks.Task History() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await p.JsonAsync(HttpMethod.Put, $"Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","active":false}""");
        await p.SendAsync(HttpMethod.Delete, $"Patient/{id}");

        var instance = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}/_history");
        var type = await p.JsonAsync(HttpMethod.Get, "Patient/_history");
        var system = await p.JsonAsync(HttpMethod.Get, "_history");

        Assert.Equal("history", instance.GetProperty("type").GetString());
        Assert.Equal(["DELETE", "PUT", "POST"], instance.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("request").GetProperty("method").GetString()));
        Assert.Equal(3, type.GetProperty("entry").GetArrayLength());
        Assert.Equal(3, system.GetProperty("entry").GetArrayLength());
    });

    [Fact]
    [SpecRule("http.html#ops", Level.Should, "Prefer: return=minimal answers without a body, return=OperationOutcome with an outcome")]
    public System.Threading.Tasks.Task Prefer_return() => RuleAsync(async p =>
    {
        var (minimal, minimalText) = await p.SendAsync(HttpMethod.Post, "Patient", """{"resourceType":"Patient"}""", headers: ("Prefer", "return=minimal"));
        var (outcome, outcomeText) = await p.SendAsync(HttpMethod.Post, "Patient", """{"resourceType":"Patient"}""", headers: ("Prefer", "return=OperationOutcome"));

        Assert.Equal(HttpStatusCode.Created, minimal.StatusCode);
        Assert.Empty(minimalText);
        Assert.Contains("OperationOutcome", outcomeText, StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("http.html#capabilities", Level.Shall, "GET [base]/metadata returns a CapabilityStatement for FHIR 4.0.1")]
    public System.Threading.Tasks.Task Capabilities() => RuleAsync(async p =>
    {
        var statement = await p.Client.CapabilityStatementAsync(SummaryType.False);

        Assert.Equal(FHIRVersion.N4_0_1, statement!.FhirVersion);
        Assert.Equal(CapabilityStatement.RestfulCapabilityMode.Server, statement.Rest[0].Mode);
    });

    [Fact]
    [SpecRule("operations.html", Level.Shall, "Patient/[id]/$set-accounts, as declared, sets a patient's accounts and answers Parameters", Covers = ["operation:set-accounts"])]
    public System.Threading.Tasks.Task Set_accounts() => RuleAsync(async p =>
    {
        var organization = await p.CreateAsync("""{"resourceType":"Organization","name":"Clinic"}""");
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");

        var answer = await p.JsonAsync(HttpMethod.Post, $"Patient/{patient}/$set-accounts",
            $$$"""{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"Organization/{{{organization}}}"}}]}""");

        Assert.Equal("Parameters", answer.GetProperty("resourceType").GetString());
    });

    [Fact]
    [SpecRule("https://hl7.org/fhir/uv/bulkdata/STU2/export.html", Level.Shall,
        "Patient/$export and Group/[id]/$export, as declared, kick off with Prefer: respond-async: 202 and an absolute Content-Location",
        Covers = ["operation:export"])]
    public System.Threading.Tasks.Task Bulk_export_kickoff() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var group = await p.CreateAsync($$$"""{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/{{{patient}}}"}}]}""");

        foreach (var path in new[] { "Patient/$export", $"Group/{group}/$export" })
        {
            var (response, text) = await p.SendAsync(HttpMethod.Get, path, headers: [("Prefer", "respond-async"), ("Accept", "application/fhir+json")]);
            using (response)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{path}: {(int)response.StatusCode} {text}");
                var status = response.Content.Headers.ContentLocation;
                Assert.True(status is { IsAbsoluteUri: true }, $"{path}: Content-Location {status}");
                Assert.Contains("/$export/", status.AbsolutePath, StringComparison.Ordinal);
            }
        }
    });
}
