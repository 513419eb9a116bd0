using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Fhir;

public sealed class HistoryTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? body = null)
    {
        using var response = await AuthClient.SendAsync(http, method, path, token, body is null ? null : AuthClient.Body(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string[] Methods(JsonElement bundle) =>
        [.. bundle.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("request").GetProperty("method").GetString()!)];

    [Fact]
    public async Task History_lists_every_version_newest_first_pages_and_stays_in_the_project()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "History A");
        var (_, other) = await AuthClient.NewProjectTokenAsync(http, app, "History B");

        var (_, created) = await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, """{"resourceType":"Patient","gender":"female"}""");
        var id = created.GetProperty("id").GetString()!;
        var afterCreate = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, $$"""{"resourceType":"Patient","id":"{{id}}","gender":"male"}""");
        await SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", token, $$"""{"resourceType":"Patient","id":"{{id}}","gender":"other"}""");
        await SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Patient/{id}", token);
        await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Observation", token, """{"resourceType":"Observation","status":"final","code":{"text":"x"}}""");
        await SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", other, """{"resourceType":"Patient"}""");

        var (status, instance) = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history", token);
        var (_, firstPage) = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_count=3", token);
        var next = firstPage.GetProperty("link").EnumerateArray().Single(l => l.GetProperty("relation").GetString() == "next").GetProperty("url").GetString()!;
        var (_, secondPage) = await SendAsync(http, HttpMethod.Get, next, token);
        var (_, type) = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient/_history", token);
        var (_, system) = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/_history", token);
        var (_, since) = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_since={Uri.EscapeDataString(afterCreate.ToString("o"))}", token);
        var (foreign, _) = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history", other);
        var (badPage, _) = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_page=%%%", token);
        var (badCount, _) = await SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_count=zero", token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("history", instance.GetProperty("type").GetString());
        Assert.Equal(["DELETE", "PUT", "PUT", "POST"], Methods(instance));
        Assert.Equal(["DELETE", "PUT", "PUT"], Methods(firstPage));
        Assert.Equal(["POST"], Methods(secondPage));
        Assert.DoesNotContain(secondPage.GetProperty("link").EnumerateArray(), l => l.GetProperty("relation").GetString() == "next");
        Assert.Equal(4, Methods(type).Length);
        Assert.Equal(5, Methods(system).Length);
        Assert.Equal(["DELETE", "PUT", "PUT"], Methods(since));
        Assert.Equal(HttpStatusCode.NotFound, foreign);
        Assert.Equal(HttpStatusCode.BadRequest, badPage);
        Assert.Equal(HttpStatusCode.BadRequest, badCount);
    }
}
