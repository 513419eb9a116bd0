using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>JSON and XML in and out, <c>_format</c>, <c>_pretty</c>, <c>_summary</c> and <c>_elements</c>.</summary>
public sealed class FormatTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string PatientXml = """
        <Patient xmlns="http://hl7.org/fhir">
          <name><family value="Xml"/><given value="Ann"/></name>
          <gender value="female"/>
          <maritalStatus><text value="married"/></maritalStatus>
        </Patient>
        """;

    [Fact]
    public async Task Xml_is_accepted_and_served_and_firely_reads_it()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Formats");

        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body(PatientXml, "application/fhir+xml"));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        using var asXml = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}?_format=xml", token);
        var xmlClient = FhirClients.Create(app, token, ResourceFormat.Xml);
        var read = await xmlClient.ReadAsync<Patient>($"Patient/{id}");
        var xmlCreated = await xmlClient.CreateAsync(new Patient { Name = [new HumanName { Family = "ViaXml" }] });
        using var badXml = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token,
            AuthClient.Body("""<Patient xmlns="http://hl7.org/fhir"><bogus value="1"/></Patient>""", "application/fhir+xml"));
        using var notXml = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body("<Patient", "application/fhir+xml"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("application/fhir+xml", asXml.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Xml", Assert.IsType<Patient>(new FhirXmlDeserializer().DeserializeResource(await asXml.Content.ReadAsStringAsync())).Name[0].Family);
        Assert.Equal("married", read!.MaritalStatus!.Text);
        Assert.Equal("1", xmlCreated!.Meta!.VersionId);
        Assert.Equal(HttpStatusCode.BadRequest, badXml.StatusCode);
        Assert.Contains("bogus", await badXml.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, notXml.StatusCode);
    }

    [Fact]
    public async Task Summary_elements_and_pretty_shape_reads_searches_and_history()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Summaries");
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body(PatientXml, "application/fhir+xml"));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        async Task<(HttpStatusCode Status, string Text)> GetAsync(string path)
        {
            using var response = await AuthClient.SendAsync(http, HttpMethod.Get, path, token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (_, full) = await GetAsync($"/api/fhir/R4/Patient/{id}");
        var (_, summary) = await GetAsync($"/api/fhir/R4/Patient/{id}?_summary=true");
        var (_, elements) = await GetAsync($"/api/fhir/R4/Patient/{id}?_elements=gender");
        var (_, pretty) = await GetAsync($"/api/fhir/R4/Patient/{id}?_pretty=true");
        var (_, searchElements) = await GetAsync("/api/fhir/R4/Patient?_elements=gender");
        var (_, historyXml) = await GetAsync($"/api/fhir/R4/Patient/{id}/_history?_format=xml");
        var (badSummary, _) = await GetAsync($"/api/fhir/R4/Patient/{id}?_summary=maybe");

        Assert.Contains("maritalStatus", full, StringComparison.Ordinal);
        Assert.DoesNotContain("maritalStatus", summary, StringComparison.Ordinal);
        Assert.Contains("\"family\":\"Xml\"", summary, StringComparison.Ordinal);
        Assert.Contains("SUBSETTED", summary, StringComparison.Ordinal);
        Assert.Contains("\"gender\":\"female\"", elements, StringComparison.Ordinal);
        Assert.DoesNotContain("\"name\"", elements, StringComparison.Ordinal);
        Assert.Contains("\n  \"resourceType\": \"Patient\"", pretty, StringComparison.Ordinal);
        Assert.Contains("\"gender\":\"female\"", searchElements, StringComparison.Ordinal);
        Assert.DoesNotContain("maritalStatus", searchElements, StringComparison.Ordinal);
        Assert.StartsWith("<Bundle xmlns=\"http://hl7.org/fhir\">", historyXml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badSummary);
    }
}
