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
        var fhirJson = await SendAsync(http, HttpMethod.Patch, path, token, """{"resourceType":"Parameters"}""", "application/fhir+json");
        var missing = await SendAsync(http, HttpMethod.Patch, $"/api/fhir/R4/Patient/{Guid.NewGuid()}", token, """[{"op":"remove","path":"/gender"}]""");
        var (_, current, etag) = await SendAsync(http, HttpMethod.Get, path, token);

        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("W/\"2\"", patched.ETag);
        Assert.Equal(HttpStatusCode.BadRequest, badDate.Status);
        Assert.Contains("Patient.birthDate", badDate.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, newId.Status);
        Assert.Equal(HttpStatusCode.BadRequest, failedTest.Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, fhirJson.Status);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("W/\"2\"", etag);
        Assert.Equal("male", JsonDocument.Parse(current).RootElement.GetProperty("gender").GetString());
    }
}
