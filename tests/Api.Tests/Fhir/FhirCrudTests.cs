using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Create, read, vread, update and delete over HTTP, inside the project wall.</summary>
public sealed class FhirCrudTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string PatientJson = """{"resourceType":"Patient","name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1980-02-03"}""";

    private async Task<(HttpClient Http, string TokenA, string TokenB)> TwoProjectsAsync()
    {
        var http = app.CreateClient();
        return (http, (await AuthClient.NewProjectTokenAsync(http, app, "FHIR A")).Token, (await AuthClient.NewProjectTokenAsync(http, app, "FHIR B")).Token);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? body = null,
        string contentType = "application/fhir+json", string? ifMatch = null) =>
        AuthClient.SendAsync(http, method, path, token, body is null ? null : AuthClient.Body(body, contentType), ifMatch);

    private static async Task<string> CreatePatientAsync(HttpClient http, string token)
    {
        using var created = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, PatientJson);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static string WithName(string id, string family, int? version = null) =>
        $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"family":"{{family}}"}]{{(version is null ? "" : $$""","meta":{"versionId":"{{version}}"}""")}}}""";

    [Fact]
    public async Task Create_read_vread_update_and_delete_keep_every_version()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            using var created = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, PatientJson);
            var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            using var read = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}", token);
            using var updated = await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, WithName(id, "Jones"), ifMatch: "W/\"1\"");
            using var stale = await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, WithName(id, "Stale"), ifMatch: "W/\"1\"");
            using var noOp = await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, WithName(id, "Jones"));
            using var deleted = await SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Patient/{id}", token);
            using var gone = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}", token);
            using var v1 = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history/1", token);
            using var v2 = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history/2", token);
            using var v3 = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history/3", token);

            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("W/\"1\"", created.Headers.ETag?.ToString());
            Assert.EndsWith($"/api/fhir/R4/Patient/{id}/_history/1", created.Headers.Location?.ToString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.NotNull(read.Content.Headers.LastModified);
            Assert.Equal("Smith", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("name")[0].GetProperty("family").GetString());
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
            Assert.Equal("W/\"2\"", updated.Headers.ETag?.ToString());
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
            Assert.Contains("\"resourceType\":\"OperationOutcome\"", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("W/\"2\"", noOp.Headers.ETag?.ToString());
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal(HttpStatusCode.OK, v1.StatusCode);
            Assert.Contains("Smith", await v1.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("Jones", await v2.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Gone, v3.StatusCode);
        }
    }

    [Fact]
    public async Task Conditional_reads_answer_304_and_prefer_shapes_write_answers()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            using var created = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, PatientJson);
            var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

            using var sameVersion = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/fhir/R4/Patient/{id}", UriKind.Relative));
            sameVersion.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            sameVersion.Headers.TryAddWithoutValidation("If-None-Match", "W/\"1\"");
            using var notModified = await http.SendAsync(sameVersion);
            using var since = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/fhir/R4/Patient/{id}", UriKind.Relative));
            since.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            since.Headers.IfModifiedSince = created.Content.Headers.LastModified;
            using var notModifiedSince = await http.SendAsync(since);
            using var older = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/fhir/R4/Patient/{id}", UriKind.Relative));
            older.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            older.Headers.TryAddWithoutValidation("If-None-Match", "W/\"0\"");
            using var modified = await http.SendAsync(older);

            using var minimal = new HttpRequestMessage(HttpMethod.Put, new Uri($"/api/fhir/R4/Patient/{id}", UriKind.Relative))
            {
                Content = new StringContent(WithName(id, "Minimal"), Encoding.UTF8, "application/fhir+json"),
            };
            minimal.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            minimal.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
            using var minimalAnswer = await http.SendAsync(minimal);
            using var outcome = new HttpRequestMessage(HttpMethod.Put, new Uri($"/api/fhir/R4/Patient/{id}", UriKind.Relative))
            {
                Content = new StringContent(WithName(id, "Outcome"), Encoding.UTF8, "application/fhir+json"),
            };
            outcome.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            outcome.Headers.TryAddWithoutValidation("Prefer", "return=OperationOutcome");
            using var outcomeAnswer = await http.SendAsync(outcome);

            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Equal(HttpStatusCode.NotModified, notModifiedSince.StatusCode);
            Assert.Equal(HttpStatusCode.OK, modified.StatusCode);
            Assert.Equal(HttpStatusCode.OK, minimalAnswer.StatusCode);
            Assert.Equal(string.Empty, await minimalAnswer.Content.ReadAsStringAsync());
            Assert.Equal("W/\"2\"", minimalAnswer.Headers.ETag?.ToString());
            Assert.Contains("\"resourceType\":\"OperationOutcome\"", await outcomeAnswer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal("W/\"3\"", outcomeAnswer.Headers.ETag?.ToString());
        }
    }

    [Fact]
    public async Task Another_projects_resource_is_indistinguishable_from_a_missing_one()
    {
        var (http, tokenA, tokenB) = await TwoProjectsAsync();
        using (http)
        {
            var id = await CreatePatientAsync(http, tokenA);

            using var read = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}", tokenB);
            using var missing = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{Guid.NewGuid()}", tokenB);
            using var vread = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history/1", tokenB);
            using var pinned = await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", tokenB, WithName(id, "Hijack"), ifMatch: "W/\"1\"");
            using var delete = await SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Patient/{id}", tokenB);
            using var stillThere = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}", tokenA);

            Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal(await missing.Content.ReadAsStringAsync(), (await read.Content.ReadAsStringAsync()).Replace(id, missing.RequestMessage!.RequestUri!.Segments[^1], StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.NotFound, vread.StatusCode);
            Assert.Equal(HttpStatusCode.PreconditionFailed, pinned.StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
            Assert.Equal("W/\"1\"", stillThere.Headers.ETag?.ToString());
        }
    }

    [Fact]
    public async Task Concurrent_updates_lose_no_write_and_history_keeps_every_version()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            var id = await CreatePatientAsync(http, token);

            var pinned = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, WithName(id, $"Pinned{i}"), ifMatch: "W/\"1\"")));
            var unpinned = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, WithName(id, $"Free{i}"))));
            var versions = await Task.WhenAll(Enumerable.Range(1, 22).Select(v => SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history/{v}", token)));
            var families = await Task.WhenAll(versions.Select(async v => JsonDocument.Parse(await v.Content.ReadAsStringAsync()).RootElement.GetProperty("name")[0].GetProperty("family").GetString()));

            Assert.Single(pinned, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(19, pinned.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
            Assert.All(unpinned, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            Assert.All(versions, v => Assert.Equal(HttpStatusCode.OK, v.StatusCode));
            // Every write is a version of its own: nothing was overwritten in between.
            Assert.Equal(20, families.Skip(2).Distinct().Count());
            Assert.All(Enumerable.Range(0, 20), i => Assert.Contains($"Free{i}", families));
            foreach (var response in pinned.Concat(unpinned).Concat(versions))
            {
                response.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("/api/fhir/R4/Patient", """{"resourceType":"Patient","foo":1}""", "application/fhir+json", HttpStatusCode.BadRequest, "Patient.foo")]
    [InlineData("/api/fhir/R4/Patient", """{"resourceType":"Patient","birthDate":"1980-13-45"}""", "application/fhir+json", HttpStatusCode.BadRequest, "Patient.birthDate")]
    [InlineData("/api/fhir/R4/Patient", """{"resourceType":"Observation","status":"final","code":{"text":"x"}}""", "application/fhir+json", HttpStatusCode.BadRequest, "Observation")]
    [InlineData("/api/fhir/R4/Patient", "not json", "application/fhir+json", HttpStatusCode.BadRequest, "JSON")]
    [InlineData("/api/fhir/R4/Patient", """{"resourceType":"Patient"}""", "text/plain", HttpStatusCode.UnsupportedMediaType, "fhir+json")]
    [InlineData("/api/fhir/R4/Spaceship", """{"resourceType":"Patient"}""", "application/fhir+json", HttpStatusCode.NotFound, "Spaceship")]
    public async Task Bad_input_gets_a_4xx_operation_outcome_and_writes_nothing(string path, string body, string contentType, HttpStatusCode status, string named)
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            using var response = await SendAsync(http, HttpMethod.Post, path, token, body, contentType);
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(status, response.StatusCode);
            Assert.Contains("\"resourceType\":\"OperationOutcome\"", text, StringComparison.Ordinal);
            Assert.Contains(named, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Oversized_bodies_are_413_and_id_mismatches_400()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            var huge = "{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">"
                + new string('x', 2_200_000) + "</div>\"}}";
            using var tooLarge = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, huge);
            using var mismatch = await SendAsync(http, HttpMethod.Put, "/api/fhir/R4/Patient/abc", token, WithName("xyz", "Smith"));

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
        }
    }

    [Fact]
    public async Task Firely_fhir_client_creates_and_reads()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            using var client = FhirClients.Create(app, token);

            var created = await client.CreateAsync(new Patient { Name = [new HumanName { Family = "Firely" }] });
            var read = await client.ReadAsync<Patient>($"Patient/{created!.Id}");

            Assert.Equal("1", created.Meta?.VersionId);
            Assert.Equal("Firely", read!.Name[0].Family);
        }
    }

    [Fact]
    public async Task Twenty_clients_updating_with_if_match_lose_no_update_and_history_holds_every_version()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            using var client = FhirClients.Create(app, token);
            var created = await client.CreateAsync(new Patient { Active = true });
            var conflicts = 0;

            await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                using var own = FhirClients.Create(app, token);
                while (true)
                {
                    var current = await own.ReadAsync<Patient>($"Patient/{created!.Id}");
                    current!.Identifier.Add(new Identifier("urn:writer", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    try
                    {
                        await own.UpdateAsync(current, versionAware: true);
                        return;
                    }
                    catch (FhirOperationException ex) when (ex.Status == HttpStatusCode.PreconditionFailed)
                    {
                        Interlocked.Increment(ref conflicts);
                    }
                }
            }));
            var final = await client.ReadAsync<Patient>($"Patient/{created!.Id}");
            var history = await client.HistoryAsync($"Patient/{created.Id}", pageSize: 100);

            Assert.Equal(20, final!.Identifier.Select(x => x.Value).Distinct().Count());
            Assert.Equal("21", final.Meta!.VersionId);
            Assert.Equal(21, history!.Entry.Count);
            Assert.Equal(Enumerable.Range(0, 21).Reverse(), history.Entry.Select(e => ((Patient)e.Resource!).Identifier.Count));
            Assert.True(conflicts > 0, "the clients raced");
        }
    }

    [Fact]
    public async Task Firely_fhir_client_drives_vread_patch_history_and_delete()
    {
        var (http, token, _) = await TwoProjectsAsync();
        using (http)
        {
            using var client = FhirClients.Create(app, token);
            var created = await client.CreateAsync(new Patient { Gender = AdministrativeGender.Female, Name = [new HumanName { Family = "Firely" }] });
            var birthDate = new Parameters();
            birthDate.AddAddPatchParameter("Patient", "birthDate", new Date("1970-07-01"));
            var conditionallyPatched = await client.ConditionalPatchAsync<Patient>(new SearchParams().Where($"_id={created!.Id}"), birthDate);
            var patch = new Parameters();
            patch.AddReplacePatchParameter("Patient.gender", new Code("male"));
            var patched = await client.PatchAsync(new Uri($"Patient/{created.Id}", UriKind.Relative), patch);
            var first = await client.ReadAsync<Patient>($"Patient/{created.Id}/_history/1");
            await client.DeleteAsync($"Patient/{created.Id}");
            var history = await client.HistoryAsync($"Patient/{created.Id}");
            var gone = await Assert.ThrowsAsync<FhirOperationException>(() => client.ReadAsync<Patient>($"Patient/{created.Id}"));

            Assert.Equal("1970-07-01", conditionallyPatched!.BirthDate);
            Assert.Equal(AdministrativeGender.Male, ((Patient)patched!).Gender);
            Assert.Equal("1970-07-01", ((Patient)patched).BirthDate);
            Assert.Equal(AdministrativeGender.Female, first!.Gender);
            Assert.Equal(4, history!.Entry.Count);
            Assert.Equal(Bundle.HTTPVerb.DELETE, history.Entry[0].Request!.Method);
            Assert.Equal(HttpStatusCode.Gone, gone.Status);
        }
    }

    [Fact]
    public async Task A_client_supplied_meta_project_is_ignored_and_the_token_decides()
    {
        using var http = app.CreateClient();
        var (_, tokenA) = await AuthClient.NewProjectTokenAsync(http, app, "Meta A");
        var (projectB, tokenB) = await AuthClient.NewProjectTokenAsync(http, app, "Meta B");
        var body = $$$"""{"resourceType":"Patient","meta":{"project":"{{{projectB}}}","author":{"reference":"Practitioner/x"},"tag":[{"code":"kept"}]},"active":true}""";

        using var created = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", tokenA, body);
        var text = await created.Content.ReadAsStringAsync();
        var id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        using var fromB = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}", tokenB);
        using var transaction = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4", tokenA, $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","meta":{"project":"{{{projectB}}}"},"active":false},"request":{"method":"POST","url":"Patient"}}]}
            """);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain(projectB, text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"author\"", text, StringComparison.Ordinal);
        Assert.Contains("kept", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, fromB.StatusCode);
        Assert.Equal(HttpStatusCode.OK, transaction.StatusCode);
        Assert.DoesNotContain(projectB, await transaction.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
