using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Storage.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Cosmos round trips per FHIR interaction, counted by the SDK request handler: a read or create is one, an update two.</summary>
public sealed class RoundTripTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task Read_vread_and_create_take_one_cosmos_request_and_update_and_patch_two()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Round trips");
        var metrics = app.Services.GetRequiredService<CosmosRequestMetrics>();

        async Task<(HttpResponseMessage Response, long Requests)> CountAsync(HttpMethod method, string path, string? body = null, string contentType = "application/fhir+json")
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, contentType);
            }

            var before = metrics.Requests;
            var response = await http.SendAsync(request);
            return (response, metrics.Requests - before);
        }

        var (created, createRequests) = await CountAsync(HttpMethod.Post, "/api/fhir/R4/Patient", """{"resourceType":"Patient","gender":"female"}""");
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        var (read, readRequests) = await CountAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}");
        var (vread, vreadRequests) = await CountAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history/1");
        var (updated, updateRequests) = await CountAsync(HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","gender":"male"}""");
        var (patched, patchRequests) = await CountAsync(HttpMethod.Patch, $"/api/fhir/R4/Patient/{id}", """[{"op":"replace","path":"/gender","value":"other"}]""", "application/json-patch+json");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, vread.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        // The membership behind the token is cached, so only the FHIR work itself reaches Cosmos.
        Assert.Equal(1, createRequests);
        Assert.Equal(1, readRequests);
        Assert.Equal(1, vreadRequests);
        Assert.Equal(2, updateRequests);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(2, patchRequests);
        foreach (var response in new[] { created, read, vread, updated, patched })
        {
            response.Dispose();
        }
    }
}
