using System.Net.Http.Headers;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Conformance;

/// <summary>
/// FHIR R4 rules on subsets, self links and content negotiation that Enclave once broke (issue 14 items 3–5).
/// </summary>
public sealed class SubsetAndNegotiationTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private async Task<(HttpClient Http, string Token, string Id)> PatientAsync()
    {
        var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Conformance");
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token,
            AuthClient.Body("""{"resourceType":"Patient","name":[{"family":"Subset"}],"gender":"female","birthDate":"1970-01-01"}"""));
        return (http, token, JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
    }

    /// <summary>search.html §3.1.1.5.9 (_elements): SHALL keep id on a read; SHOULD tag SUBSETTED and keep mandatory elements.</summary>
    [Fact]
    public async Task Elements_keep_id_meta_and_mandatory_elements_and_tag_the_subset_on_read_and_search()
    {
        var (http, token, id) = await PatientAsync();
        using var observation = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Observation", token,
            AuthClient.Body($$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{id}}"},"valueString":"x"}"""));

        using var read = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}?_elements=name", token);
        using var search = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Observation?_elements=subject", token);
        var patient = JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement;
        var found = JsonDocument.Parse(await search.Content.ReadAsStringAsync()).RootElement.GetProperty("entry")[0].GetProperty("resource");

        Assert.Equal(id, patient.GetProperty("id").GetString());
        Assert.Equal("1", patient.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Contains(patient.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
        Assert.True(patient.TryGetProperty("name", out _));
        Assert.False(patient.TryGetProperty("gender", out _));
        Assert.True(found.TryGetProperty("id", out _));
        Assert.Equal("final", found.GetProperty("status").GetString());
        Assert.True(found.TryGetProperty("code", out _), "Observation.code is mandatory");
        Assert.False(found.TryGetProperty("valueString", out _));
        Assert.Contains(found.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
        http.Dispose();
    }

    /// <summary>search.html §3.1.1.4 (self link): SHALL hold the parameters actually used, not the ignored ones.</summary>
    [Fact]
    public async Task The_self_link_leaves_out_ignored_parameters()
    {
        var (http, token, _) = await PatientAsync();

        using var response = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?family=Subset&x-unknown=1", token);
        var bundle = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var self = bundle.GetProperty("link").EnumerateArray().Single(l => l.GetProperty("relation").GetString() == "self").GetProperty("url").GetString()!;

        Assert.Contains("family=Subset", self, StringComparison.Ordinal);
        Assert.DoesNotContain("x-unknown", self, StringComparison.Ordinal);
        Assert.Contains(bundle.GetProperty("entry").EnumerateArray(), e => e.GetProperty("search").GetProperty("mode").GetString() == "outcome");
        http.Dispose();
    }

    /// <summary>http.html §3.1.0.1.7 (content types): servers SHOULD answer in the generic type a client asked for.</summary>
    [Theory]
    [InlineData("application/json", null, "application/json")]
    [InlineData("application/xml", null, "application/xml")]
    [InlineData("text/xml", null, "text/xml")]
    [InlineData("application/fhir+json", null, "application/fhir+json")]
    [InlineData(null, "application/json", "application/json")]
    [InlineData(null, "json", "application/fhir+json")]
    [InlineData("*/*", null, "application/fhir+json")]
    public async Task Generic_media_types_are_echoed(string? accept, string? format, string expected)
    {
        var (http, token, id) = await PatientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}" + (format is null ? "" : $"?_format={Uri.EscapeDataString(format)}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        http.Dispose();
    }
}
