using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Fhir;

public sealed class PatchTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static async Task<(HttpStatusCode Status, string Body, string? ETag)> SendAsync(HttpClient http, HttpMethod method, string path, string token,
        string? body = null, string contentType = "application/json-patch+json", string? ifMatch = null)
    {
        using var response = await AuthClient.SendAsync(http, method, path, token, body is null ? null : AuthClient.Body(body, contentType), ifMatch);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Json_patch_updates_a_version_and_refuses_what_would_be_invalid()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Patch");
        var (_, created, _) = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, """{"resourceType":"Patient","gender":"female"}""", "application/fhir+json");
        var id = JsonDocument.Parse(created).RootElement.GetProperty("id").GetString()!;
        var path = $"/api/fhir/R4/Patient/{id}";

        var patched = await SendAsync(http, HttpMethod.Patch, path, token, """[{"op":"replace","path":"/gender","value":"male"},{"op":"add","path":"/birthDate","value":"1990-01-01"}]""");
        var badDate = await SendAsync(http, HttpMethod.Patch, path, token, """[{"op":"replace","path":"/birthDate","value":"1990-13-01"}]""");
        var newId = await SendAsync(http, HttpMethod.Patch, path, token, """[{"op":"replace","path":"/id","value":"other"}]""");
        var failedTest = await SendAsync(http, HttpMethod.Patch, path, token, """[{"op":"test","path":"/gender","value":"female"}]""");
        var stale = await SendAsync(http, HttpMethod.Patch, path, token, """[{"op":"replace","path":"/gender","value":"other"}]""", ifMatch: "W/\"1\"");
        var plainText = await SendAsync(http, HttpMethod.Patch, path, token, "gender=other", "text/plain");
        var missing = await SendAsync(http, HttpMethod.Patch, $"/api/fhir/R4/Patient/{Guid.NewGuid()}", token, """[{"op":"remove","path":"/gender"}]""");
        var (_, current, etag) = await SendAsync(http, HttpMethod.Get, path, token);

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("W/\"2\"", patched.ETag);
        Assert.Equal(HttpStatusCode.BadRequest, badDate.Status);
        Assert.Contains("Patient.birthDate", badDate.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, newId.Status);
        Assert.Equal(HttpStatusCode.BadRequest, failedTest.Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plainText.Status);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("W/\"2\"", etag);
        Assert.Equal("male", JsonDocument.Parse(current).RootElement.GetProperty("gender").GetString());
    }

    private static string Operation(string type, string path, string? valueJson = null, string? name = null, int? index = null, int? source = null, int? destination = null)
    {
        var parts = new List<string> { $$"""{"name":"type","valueCode":"{{type}}"}""", $$"""{"name":"path","valueString":"{{path}}"}""" };
        if (name is not null)
        {
            parts.Add($$"""{"name":"name","valueString":"{{name}}"}""");
        }

        if (index is not null)
        {
            parts.Add($$"""{"name":"index","valueInteger":{{index}}}""");
        }

        if (source is not null)
        {
            parts.Add($$"""{"name":"source","valueInteger":{{source}}}""");
            parts.Add($$"""{"name":"destination","valueInteger":{{destination}}}""");
        }

        if (valueJson is not null)
        {
            parts.Add($$"""{"name":"value",{{valueJson}}}""");
        }

        return $$"""{"name":"operation","part":[{{string.Join(",", parts)}}]}""";
    }

    private static string Parameters(params string[] operations) => $$"""{"resourceType":"Parameters","parameter":[{{string.Join(",", operations)}}]}""";

    [Fact]
    public async Task Fhirpath_patch_applies_every_operation_type_and_refuses_what_would_be_invalid()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "FHIRPath Patch");
        var (_, created, _) = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token,
            """{"resourceType":"Patient","gender":"female","name":[{"family":"Smith","given":["Ann","Beth","Cleo"]}],"identifier":[{"system":"urn:a","value":"1"}]}""", "application/fhir+json");
        var id = JsonDocument.Parse(created).RootElement.GetProperty("id").GetString()!;
        var path = $"/api/fhir/R4/Patient/{id}";
        const string Fhir = "application/fhir+json";

        var patched = await SendAsync(http, HttpMethod.Patch, path, token, Parameters(
            Operation("replace", "Patient.gender", "\"valueCode\":\"other\""),
            Operation("add", "Patient", "\"valueDate\":\"1990-01-01\"", name: "birthDate"),
            Operation("add", "Patient", "\"valueIdentifier\":{\"system\":\"urn:b\",\"value\":\"2\"}", name: "identifier"),
            Operation("insert", "Patient.identifier", "\"valueIdentifier\":{\"system\":\"urn:c\",\"value\":\"0\"}", index: 0),
            Operation("delete", "Patient.name.given[1]"),
            Operation("move", "Patient.name.given", source: 1, destination: 0),
            Operation("delete", "Patient.telecom")), Fhir);
        var wrongType = await SendAsync(http, HttpMethod.Patch, path, token, Parameters(Operation("replace", "Patient.birthDate", "\"valueBoolean\":true")), Fhir);
        var ambiguous = await SendAsync(http, HttpMethod.Patch, path, token, Parameters(Operation("replace", "Patient.identifier", "\"valueIdentifier\":{\"value\":\"x\"}")), Fhir);
        var badPath = await SendAsync(http, HttpMethod.Patch, path, token, Parameters(Operation("delete", "Patient.((")), Fhir);
        var unknownOperation = await SendAsync(http, HttpMethod.Patch, path, token, Parameters(Operation("upsert", "Patient.gender")), Fhir);
        var notParameters = await SendAsync(http, HttpMethod.Patch, path, token, """{"resourceType":"Patient","active":true}""", Fhir);
        var (_, current, etag) = await SendAsync(http, HttpMethod.Get, path, token);
        var patient = JsonDocument.Parse(current).RootElement;

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("W/\"2\"", etag);
        Assert.Equal("other", patient.GetProperty("gender").GetString());
        Assert.Equal("1990-01-01", patient.GetProperty("birthDate").GetString());
        Assert.Equal(["0", "1", "2"], patient.GetProperty("identifier").EnumerateArray().Select(i => i.GetProperty("value").GetString()));
        Assert.Equal(["Cleo", "Ann"], patient.GetProperty("name")[0].GetProperty("given").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Equal(HttpStatusCode.BadRequest, ambiguous.Status);
        Assert.Contains("matches 3 elements", ambiguous.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badPath.Status);
        Assert.Equal(HttpStatusCode.BadRequest, unknownOperation.Status);
        Assert.Equal(HttpStatusCode.BadRequest, notParameters.Status);
    }
}
