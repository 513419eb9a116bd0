using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Conditional create, update and delete, including racing conditional creates.</summary>
public sealed class ConditionalTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static Patient WithMrn(string mrn, string family) => new() { Identifier = [new Identifier("urn:mrn", mrn)], Name = [new HumanName { Family = family }] };

    [Fact]
    public async Task Ten_concurrent_conditional_creates_make_one_resource()
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Conditional race");
        using (http)
        {
            var creates = Enumerable.Range(0, 10).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/fhir/R4/Patient", UriKind.Relative))
                {
                    Content = AuthClient.Body($$"""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"RACE-1"}],"name":[{"family":"Racer{{i}}"}]}"""),
                };
                request.Headers.Authorization = new("Bearer", token);
                request.Headers.Add("If-None-Exist", "identifier=urn:mrn|RACE-1");
                using var response = await http.SendAsync(request);
                return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString());
            });
            var results = await Task.WhenAll(creates);
            var found = await client.SearchAsync<Patient>(["identifier=urn:mrn|RACE-1"]);

            Assert.Single(results, r => r.StatusCode == HttpStatusCode.Created);
            Assert.Equal(9, results.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Single(results.Select(r => r.Item2).Distinct());
            Assert.Equal(results[0].Item2, Assert.Single(found!.Entry).Resource!.Id);
        }
    }

    [Fact]
    public async Task Conditional_create_update_and_delete_follow_the_number_of_matches()
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Conditional");
        using (http)
        {
            var created = await client.ConditionalCreateAsync(WithMrn("C-1", "First"), new SearchParams().Where("identifier=urn:mrn|C-1"));
            var again = await client.ConditionalCreateAsync(WithMrn("C-1", "Second"), new SearchParams().Where("identifier=urn:mrn|C-1"));
            var updated = await client.ConditionalUpdateAsync(WithMrn("C-1", "Updated"), new SearchParams().Where("identifier=urn:mrn|C-1"));
            var upserted = await client.ConditionalUpdateAsync(WithMrn("C-2", "New"), new SearchParams().Where("identifier=urn:mrn|C-2"));
            await client.CreateAsync(WithMrn("DUP", "One"));
            await client.CreateAsync(WithMrn("DUP", "Two"));
            using var ambiguousUpdate = await AuthClient.SendAsync(http, HttpMethod.Put, "/api/fhir/R4/Patient?identifier=urn:mrn|DUP", token,
                AuthClient.Body("""{"resourceType":"Patient","name":[{"family":"Three"}]}"""));
            using var ambiguousDelete = await AuthClient.SendAsync(http, HttpMethod.Delete, "/api/fhir/R4/Patient?identifier=urn:mrn|DUP", token);
            using var unsupported = await AuthClient.SendAsync(http, HttpMethod.Delete, "/api/fhir/R4/Patient?nonsense=1", token);
            using var noCriteria = await AuthClient.SendAsync(http, HttpMethod.Delete, "/api/fhir/R4/Patient", token);
            await client.ConditionalDeleteSingleAsync(new SearchParams().Where("identifier=urn:mrn|C-1"), "Patient");
            using var gone = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{created!.Id}", token);
            using var nothingToDelete = await AuthClient.SendAsync(http, HttpMethod.Delete, "/api/fhir/R4/Patient?identifier=urn:mrn|NONE", token);

            Assert.Equal(created.Id, again!.Id);
            Assert.Equal("First", again.Name[0].Family);
            Assert.Equal(created.Id, updated!.Id);
            Assert.Equal("2", updated.Meta!.VersionId);
            Assert.NotEqual(created.Id, upserted!.Id);
            Assert.Equal("1", upserted.Meta!.VersionId);
            Assert.Equal(HttpStatusCode.PreconditionFailed, ambiguousUpdate.StatusCode);
            Assert.Equal(HttpStatusCode.PreconditionFailed, ambiguousDelete.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, noCriteria.StatusCode);
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, nothingToDelete.StatusCode);
            Assert.Equal(2, (await client.SearchAsync<Patient>(["identifier=urn:mrn|DUP"]))!.Entry.Count);
        }
    }

    [Fact]
    public async Task Conditional_operations_never_match_another_projects_resources()
    {
        var (httpA, _, clientA) = await FhirClients.NewProjectAsync(app, "Conditional A");
        var (httpB, _, clientB) = await FhirClients.NewProjectAsync(app, "Conditional B");
        using (httpA)
        using (httpB)
        {
            var a = await clientA.CreateAsync(WithMrn("SHARED", "A"));
            var b = await clientB.ConditionalCreateAsync(WithMrn("SHARED", "B"), new SearchParams().Where("identifier=urn:mrn|SHARED"));
            await clientB.ConditionalDeleteSingleAsync(new SearchParams().Where("identifier=urn:mrn|SHARED"), "Patient");
            var stillThere = await clientA.ReadAsync<Patient>($"Patient/{a!.Id}");

            Assert.NotEqual(a.Id, b!.Id);
            Assert.Equal("B", b.Name[0].Family);
            Assert.Equal("A", stillThere!.Name[0].Family);
        }
    }
}
