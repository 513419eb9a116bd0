using System.Net;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>
/// Issue 13, strict values: the inputs that answered 500, or were accepted although they must be refused, now get
/// a 4xx OperationOutcome and write nothing.
/// </summary>
public sealed class StrictInputTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string Json = "application/fhir+json";
    private const string Xml = "application/fhir+xml";
    private const string JsonPatch = "application/json-patch+json";
    private const string Div = "<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">";

    private static string Transaction(params string[] entries) => $$"""{"resourceType":"Bundle","type":"transaction","entry":[{{string.Join(',', entries)}}]}""";

    private const string PostPatient = """{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","active":true}}""";

    [Theory]
    // Bodies that are not one resource.
    [InlineData("POST", "/api/fhir/R4/Patient", "[]", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", "5", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", "\"x\"", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", "null", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", "[]", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", """{"resourceType":"Patient","gender":"male","gender":"female"}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", """{"resourceType":"Patient","meta":{"account":{"reference":"Organization/a"},"account":{"reference":"Organization/a"}}}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", """{"resourceType":"Patient","meta":{"project":"x","project":"y"}}""", Json, 400)]
    // Type names are case-sensitive.
    [InlineData("POST", "/api/fhir/R4/Patient", """{"resourceType":"patient"}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/patient", """{"resourceType":"Patient"}""", Json, 404)]
    [InlineData("GET", "/api/fhir/R4/patient/1", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/patient/1/_history", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/patient/_history", null, null, 404)]
    [InlineData("DELETE", "/api/fhir/R4/patient/1", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/patient?name=x", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/Observation?subject:patient=Patient/1", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/Observation?_include=observation:subject", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4?_type=patient", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/_history?_count=1&_type=patient", null, null, 200)]
    // Ids are FHIR ids in addresses and bodies.
    [InlineData("GET", "/api/fhir/R4/Patient/a%5Cb", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/Patient/%C0%AF", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/Patient/%FF", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/Patient/a:1", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/Patient/a:1/_history/1", null, null, 404)]
    [InlineData("GET", "/api/fhir/R4/Patient/a%5Cb/_history", null, null, 404)]
    [InlineData("PUT", "/api/fhir/R4/Patient/a%5Cb", """{"resourceType":"Patient","id":"a\\b"}""", Json, 400)]
    [InlineData("PUT", "/api/fhir/R4/Patient/%FF", """{"resourceType":"Patient","id":"\uFFFD"}""", Json, 400)]
    [InlineData("PUT", "/api/fhir/R4/Patient/a:1", """{"resourceType":"Patient","id":"a:1"}""", Json, 400)]
    [InlineData("DELETE", "/api/fhir/R4/Patient/a%5Cb", null, null, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/a%5Cb", """[{"op":"add","path":"/active","value":true}]""", JsonPatch, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", """{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"a b"}]}""", Json, 400)]
    [InlineData("PUT", "/api/fhir/R4/Patient?identifier=x", """{"resourceType":"Patient","id":"a\\b","identifier":[{"value":"x"}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Observation", """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a b"}}""", Json, 400)]
    // Narratives are FHIR XHTML.
    [InlineData("POST", "/api/fhir/R4/Patient", $$$"""{"resourceType":"Patient","text":{"status":"generated","div":"{{{Div}}}<script>alert(1)</script></div>"}}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", $$$"""{"resourceType":"Patient","text":{"status":"generated","div":"{{{Div}}}<p onclick=\"x()\">a</p></div>"}}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", """{"resourceType":"Patient","text":{"status":"generated","div":"<div>not xhtml</div>"}}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", $$$"""{"resourceType":"Patient","contained":[{"resourceType":"Observation","status":"final","code":{"text":"x"},"text":{"status":"generated","div":"{{{Div}}}<iframe/>x</div>"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4/Patient", """<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><script>x</script>a</div></text></Patient>""", Xml, 400)]
    // XML is read without DTDs.
    [InlineData("POST", "/api/fhir/R4/Patient", """<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY x "y">]><Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>""", Xml, 400)]
    // Search values within range; searches bounded.
    [InlineData("GET", "/api/fhir/R4/Observation?value-quantity=7.9e28", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/Observation?value-quantity=0e2147483648", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/Observation?value-quantity=1e-400", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/RiskAssessment?probability=ap7.8e28", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/Patient?birthdate=2024-01-01T00:00:00%2B99:99", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/Patient/1/_history?_at=2024-01-01T00:00:00%2B99:99", null, null, 400)]
    [InlineData("GET", "/api/fhir/R4/Patient?birthdate=ap0001-01-01", null, null, 200)]
    [InlineData("GET", "/api/fhir/R4/Observation?subject:Patient.organization.partof.partof.partof.name=x", null, null, 400)]
    [InlineData("DELETE", "/api/fhir/R4/Observation?value-quantity=7.9e28", null, null, 400)]
    // JSON Patch and FHIRPath Patch.
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """[{"op":5,"path":"/active"}]""", JsonPatch, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """[{"op":"add","path":5,"value":true}]""", JsonPatch, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """[{"op":"add","path":"active","value":true}]""", JsonPatch, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """{"op":"add","path":"/active","value":true}""", JsonPatch, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """[5]""", JsonPatch, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """[{"op":"add","op":"remove","path":"/active"}]""", JsonPatch, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.active"},{"name":"value","valueBoolean":false},{"name":"value","valueBoolean":true}]}]}""", Json, 400)]
    [InlineData("PATCH", "/api/fhir/R4/Patient/p1", """{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"path","valueString":"Patient.active"}]}]}""", Json, 400)]
    // Bundles.
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:9c1f0c8e-2d7b-4a55-8f3e-1b2a3c4d5e6f","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}},{"fullUrl":"urn:uuid:9c1f0c8e-2d7b-4a55-8f3e-1b2a3c4d5e6f","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"not a url","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Patient/p1","ifMatch":"garbage"},"resource":{"resourceType":"Patient","id":"p1"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Patient/a:1"},"resource":{"resourceType":"Patient","id":"a:1"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"patient"},"resource":{"resourceType":"Patient"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}},{"request":{"method":"GET","url":"Patient/a%5Cb"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}},{"request":{"method":"GET","url":"Patient/x/_history/0"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}},{"request":{"method":"HEAD","url":"Patient/x"}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>"}}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"c"}],"link":[{"type":"seealso","other":{"reference":"Patient/missing"}}]}}]}""", Json, 400)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:9c1f0c8e-2d7b-4a55-8f3e-1b2a3c4d5e6f"}}]}}]}""", Json, 400)]
    public async Task Strict_input_gets_a_4xx_operation_outcome_and_writes_nothing(string method, string path, string? body, string? contentType, int status)
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Strict input");

        using var response = await AuthClient.SendAsync(http, new HttpMethod(method), path, token, body is null ? null : AuthClient.Body(body, contentType!));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(status == 200 ? "Bundle" : "OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
        Assert.Equal(0, await CountAsync(http, token));
    }

    private static async Task<int> CountAsync(HttpClient http, string token)
    {
        using var history = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/_history", token);
        return JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement.TryGetProperty("entry", out var entries) ? entries.GetArrayLength() : 0;
    }

    [Fact]
    public async Task An_id_with_a_colon_does_not_read_a_version_after_the_delete()
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Colon ids");
        using (http)
        {
            var created = await client.CreateAsync(new Patient { Active = true });
            using var deleted = await AuthClient.SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Patient/{created!.Id}", token);
            using var read = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{created.Id}:1", token);
            using var vread = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{created.Id}:1/_history/1", token);

            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, vread.StatusCode);
            Assert.Contains("OperationOutcome", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_transaction_with_a_get_entry_commits_once_and_answers_every_entry()
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Transaction reads");
        using (http)
        {
            var existing = await client.CreateAsync(new Patient { Active = true });
            var bundle = Transaction(PostPatient,
                $$$"""{"request":{"method":"GET","url":"Patient/{{{existing!.Id}}}"}}""",
                """{"request":{"method":"GET","url":"Patient/missing"}}""",
                $$$"""{"request":{"method":"GET","url":"Patient/{{{existing.Id}}}/_history/1"}}""");

            using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", token, AuthClient.Body(bundle));
            var text = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var statuses = JsonDocument.Parse(text).RootElement.GetProperty("entry").EnumerateArray()
                .Select(e => e.GetProperty("response").GetProperty("status").GetString()![..3]).ToList();
            Assert.Equal(["201", "200", "404", "200"], statuses);
            Assert.Equal(2, await CountAsync(http, token));
        }
    }

    [Fact]
    public async Task A_transaction_with_a_garbage_if_match_is_refused_like_rest()
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Transaction ifMatch");
        using (http)
        {
            var existing = await client.CreateAsync(new Patient { Id = "p1", Active = true });
            using var rest = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{existing!.Id}", token,
                AuthClient.Body($$"""{"resourceType":"Patient","id":"{{existing.Id}}","active":false}"""), ifMatch: "garbage");
            using var bundled = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", token, AuthClient.Body(Transaction(
                $$$"""{"request":{"method":"PUT","url":"Patient/{{{existing.Id}}}","ifMatch":"garbage"},"resource":{"resourceType":"Patient","id":"{{{existing.Id}}}","active":false}}""")));
            var current = await client.ReadAsync<Patient>($"Patient/{existing.Id}");

            Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, bundled.StatusCode);
            Assert.Contains("ifMatch", await bundled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("1", current?.Meta?.VersionId);
        }
    }

    [Fact]
    public async Task A_batch_answers_duplicate_full_urls_and_bad_entries_per_entry()
    {
        var (http, token, _) = await FhirClients.NewProjectAsync(app, "Batch entries");
        using (http)
        {
            var bundle = """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"fullUrl":"urn:uuid:0d3b6d1e-8e0e-4a3c-9c55-2f5e9b3f8a11","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","active":true}},
                  {"fullUrl":"urn:uuid:0d3b6d1e-8e0e-4a3c-9c55-2f5e9b3f8a11","request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","active":true}},
                  {"request":{"method":"PUT","url":"Patient/p1","ifMatch":"garbage"},"resource":{"resourceType":"Patient","id":"p1"}},
                  {"request":{"method":"GET","url":"Patient/a:1"}},
                  {"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>"}}}
                ]}
                """;

            using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", token, AuthClient.Body(bundle));
            var text = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var statuses = JsonDocument.Parse(text).RootElement.GetProperty("entry").EnumerateArray()
                .Select(e => e.GetProperty("response").GetProperty("status").GetString()![..3]).ToList();
            Assert.Equal(["201", "400", "400", "400", "400"], statuses);
            Assert.Equal(1, await CountAsync(http, token));
        }
    }

    [Fact]
    public async Task A_contained_resource_referring_to_another_project_is_refused()
    {
        using var http = app.CreateClient();
        var (_, tokenA) = await AuthClient.NewProjectTokenAsync(http, app, "Contained A");
        var (_, tokenB) = await AuthClient.NewProjectTokenAsync(http, app, "Contained B");
        var inB = await FhirClients.Create(app, tokenB).CreateAsync(new Patient { Active = true });
        var inA = await FhirClients.Create(app, tokenA).CreateAsync(new Patient { Active = true });

        Task<HttpResponseMessage> CreateAsync(string reference) => AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Observation", tokenA, AuthClient.Body(
            $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"hasMember":[{"reference":"#c1"}],"contained":[{"resourceType":"Observation","id":"c1","status":"final","code":{"text":"x"},"subject":{"reference":"{{{reference}}}"}}]}"""));

        using var toOtherProject = await CreateAsync($"Patient/{inB!.Id}");
        using var toNothing = await CreateAsync("Patient/missing");
        using var toOwn = await CreateAsync($"Patient/{inA!.Id}");

        Assert.Equal(HttpStatusCode.BadRequest, toOtherProject.StatusCode);
        Assert.Contains("Observation.contained[0].subject", await toOtherProject.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, toNothing.StatusCode);
        Assert.Equal(HttpStatusCode.Created, toOwn.StatusCode);
    }

    [Fact]
    public async Task A_resource_too_large_for_the_store_is_413_not_500()
    {
        var (http, token, _) = await FhirClients.NewProjectAsync(app, "Large resources");
        using (http)
        {
            // 1.2 MB, under the 2 MB body limit, in strings under the 1 Mi string limit; stored with its index twice (current and version).
            var names = string.Join(',', Enumerable.Range(0, 12).Select(i => $$"""{"family":"{{new string((char)('a' + i), 100_000)}}"}"""));
            using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body($$"""{"resourceType":"Patient","name":[{{names}}]}"""));
            var text = await created.Content.ReadAsStringAsync();
            using var bundled = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", token, AuthClient.Body(
                $$$"""{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{{{names}}}]}}]}"""));

            Assert.True(created.StatusCode == HttpStatusCode.RequestEntityTooLarge, text);
            Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
            Assert.DoesNotContain("Cosmos", text, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, bundled.StatusCode);
            Assert.StartsWith("413", JsonDocument.Parse(await bundled.Content.ReadAsStringAsync()).RootElement.GetProperty("entry")[0].GetProperty("response").GetProperty("status").GetString(), StringComparison.Ordinal);
            Assert.Equal(0, await CountAsync(http, token));
        }
    }

    [Theory]
    [InlineData(10_000, false)]
    [InlineData(100_000, false)]
    [InlineData(10_000, true)]
    [InlineData(100_000, true)]
    public async Task Deeply_nested_bodies_are_refused_and_the_service_still_serves(int levels, bool xml)
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Deep bodies");
        using (http)
        {
            var body = new StringBuilder();
            if (xml)
            {
                body.Append("""<Patient xmlns="http://hl7.org/fhir">""").Insert(body.Length, """<extension url="http://example.org/x">""", levels)
                    .Append("""<valueString value="x"/>""").Insert(body.Length, "</extension>", levels).Append("</Patient>");
            }
            else
            {
                body.Append("""{"resourceType":"Patient","extension":[""").Insert(body.Length, """{"url":"http://example.org/x","extension":[""", levels)
                    .Insert(body.Length, "]}", levels).Append("]}");
            }

            using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body(body.ToString(), xml ? Xml : Json));
            var created = await client.CreateAsync(new Patient { Active = true });

            // 100,000 levels are over the 2 MB body limit as well: 413 before the parser.
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(body.Length > 2 * 1024 * 1024 ? HttpStatusCode.RequestEntityTooLarge : HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(body.Length > 2 * 1024 * 1024 ? "exceeds" : "deeper than 64", text, StringComparison.Ordinal);
            Assert.NotNull(created);
        }
    }

    [Theory]
    [InlineData("""[{"op":"replace","path":"","value":5}]""", JsonPatch, "whole document")]
    [InlineData("""[{"op":"replace","path":"","value":[]}]""", JsonPatch, "whole document")]
    [InlineData("""[{"op":"add","path":"/extension","value":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","extension":[{"url":"http://x","valueString":"x"}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]},{"op":"copy","from":"/extension","path":"/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension/0/extension"}]""", JsonPatch, "deeper than 64")]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient"},{"name":"value","valueBoolean":false}]}]}""", Json, "cannot be replaced")]
    [InlineData("""{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.active"},{"name":"value","valueHumanName":{"family":"x"}}]}]}""", Json, "cannot be put")]
    public async Task Patches_that_would_break_the_resource_are_refused_and_change_nothing(string patch, string contentType, string why)
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Bad patches");
        using (http)
        {
            await client.UpdateAsync(new Patient { Id = "p1", Active = true });

            using var response = await AuthClient.SendAsync(http, HttpMethod.Patch, "/api/fhir/R4/Patient/p1", token, AuthClient.Body(patch, contentType));
            var text = await response.Content.ReadAsStringAsync();
            var current = await client.ReadAsync<Patient>("Patient/p1");

            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.Contains(why, text, StringComparison.Ordinal);
            Assert.Equal("1", current?.Meta?.VersionId);
        }
    }

    [Fact]
    public async Task A_transaction_with_a_read_the_policy_forbids_is_refused_before_it_writes()
    {
        using var http = app.CreateClient();
        var project = await Access.PolicyProject.CreateAsync(app, http, "Transaction reads and policies");
        await project.PutPolicyAsync("patients", """[{"resourceType":"Patient"}]""");
        var member = await project.MemberAsync("nurse", $"[{Access.PolicyProject.Access("patients")}]");

        using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", member,
            AuthClient.Body(Transaction(PostPatient, """{"request":{"method":"GET","url":"Observation/x"}}""")));
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, text);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
        Assert.Equal(0, JsonDocument.Parse(await (await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient", project.AdminToken)).Content.ReadAsStringAsync())
            .RootElement.TryGetProperty("entry", out var entries) ? entries.GetArrayLength() : 0);
    }
}
