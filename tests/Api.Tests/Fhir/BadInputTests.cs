using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Odd input on every FHIR route gets a 4xx OperationOutcome: never a 500, never a partial write.</summary>
public sealed class BadInputTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string Json = "application/fhir+json";

    [Theory]
    [InlineData("GET", "/api/fhir/R4/Patient?_count=-1", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?birthdate=ge", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?birthdate=2024-02-30", null, null)]
    [InlineData("GET", "/api/fhir/R4/Observation?value-quantity=abc", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?name:missing=maybe", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?identifier:of-type=a|b", null, null)]
    [InlineData("GET", "/api/fhir/R4/Observation?subject:Medication=1", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?name=", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?_page=eyJ0b2tlbiI6Imdhcm", null, null)]
    [InlineData("GET", "/api/fhir/R4/NotAType?name=x", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient?_summary=maybe", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient/1/_history?_at=2024-13", null, null)]
    [InlineData("GET", "/api/fhir/R4/Patient/1/_history?_since=yesterday", null, null)]
    [InlineData("PUT", "/api/fhir/R4/Patient?identifier=", """{"resourceType":"Patient","active":true}""", Json)]
    [InlineData("PUT", "/api/fhir/R4/Patient?bogus=1", """{"resourceType":"Patient","active":true}""", Json)]
    [InlineData("DELETE", "/api/fhir/R4/Patient?_id=", null, null)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Patient","active":true}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"collection"}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","active":true}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Nope"}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Patient"},"resource":{"resourceType":"Patient","active":true}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"GET","url":"Patient?name=x"}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Observation"},"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:9c1f0c8e-2d7b-4a55-8f3e-1b2a3c4d5e6f"}}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient","ifNoneExist":"foo=bar"},"resource":{"resourceType":"Patient","active":true}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", """{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"PUT","url":"Patient/a"},"resource":{"resourceType":"Patient","id":"a","active":true}},{"request":{"method":"PUT","url":"Patient/a"},"resource":{"resourceType":"Patient","id":"a","active":false}}]}""", Json)]
    [InlineData("POST", "/api/fhir/R4", "not json", Json)]
    [InlineData("POST", "/api/fhir/R4/Patient/_search", "name=x", "text/plain")]
    [InlineData("POST", "/api/fhir/R4/Patient", """<Patient xmlns="http://hl7.org/fhir"><active value="maybe"/></Patient>""", "application/fhir+xml")]
    public async Task Odd_input_gets_a_4xx_operation_outcome(string method, string path, string? body, string? contentType)
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Bad input");

        using var response = await AuthClient.SendAsync(http, new HttpMethod(method), path, token, body is null ? null : AuthClient.Body(body, contentType!));
        var text = await response.Content.ReadAsStringAsync();
        using var history = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/_history", token);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
        Assert.False(JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement.TryGetProperty("entry", out _), "nothing was written");
    }
}
