using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Storage.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Cosmos round trips per FHIR interaction, counted by the SDK request handler: a read, create or search is one, an update, patch or delete two, a create with references or a transaction one more for the reference check.</summary>
public sealed class RoundTripTests(RoundTripTests.UnsealedFixture app) : IClassFixture<RoundTripTests.UnsealedFixture>
{
    /// <summary>The app with its audit sealer asleep, so that only the interactions' own requests are counted.</summary>
    public sealed class UnsealedFixture : EnclaveApiFixture
    {
        protected override void Customize(Dictionary<string, string?> settings)
        {
            ArgumentNullException.ThrowIfNull(settings);
            settings["Audit:SealDelay"] = "01:00:00";
        }
    }

    [Fact]
    public async Task Each_interaction_takes_the_fewest_cosmos_requests()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Round trips");
        var metrics = app.Services.GetRequiredService<CosmosRequestMetrics>();

        async Task<(HttpResponseMessage Response, long Requests)> CountAsync(HttpMethod method, string path, string? body = null, string contentType = "application/fhir+json", string? ifNoneExist = null)
        {
            using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (ifNoneExist is not null)
            {
                request.Headers.Add("If-None-Exist", ifNoneExist);
            }

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

        var (searched, searchRequests) = await CountAsync(HttpMethod.Get, "/api/fhir/R4/Patient?gender=other");
        var (conditional, conditionalRequests) = await CountAsync(HttpMethod.Post, "/api/fhir/R4/Patient", """{"resourceType":"Patient","gender":"unknown"}""", ifNoneExist: "gender=unknown");
        var (referencing, referencingRequests) = await CountAsync(HttpMethod.Post, "/api/fhir/R4/Observation",
            $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{id}}}"}}""");
        var (transaction, transactionRequests) = await CountAsync(HttpMethod.Post, "/api/fhir/R4", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:0b3a4c1e-7d2f-4a8e-9c5b-1e2d3f4a5b6c","resource":{"resourceType":"Patient","gender":"male"},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:0b3a4c1e-7d2f-4a8e-9c5b-1e2d3f4a5b6c"}},"request":{"method":"POST","url":"Observation"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"y"},"subject":{"reference":"Patient/{{{id}}}"}},"request":{"method":"POST","url":"Observation"}}]}
            """);
        var (deleted, deleteRequests) = await CountAsync(HttpMethod.Delete, $"/api/fhir/R4/Patient/{id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, vread.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        // The membership behind the token is cached, so only the FHIR work itself reaches Cosmos, and its audit record:
        // a write's rides in the write's own batch, a read's or search's is one more request before the answer (ADR 0005).
        Assert.Equal(1, createRequests);
        Assert.Equal(2, readRequests);
        Assert.Equal(2, vreadRequests);
        Assert.Equal(2, updateRequests);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(2, patchRequests);
        Assert.Equal(HttpStatusCode.OK, searched.StatusCode);
        Assert.Equal(2, searchRequests);
        Assert.Equal(HttpStatusCode.Created, conditional.StatusCode);
        Assert.Equal(3, conditionalRequests); // the guard's point read, the search, the commit
        Assert.Equal(HttpStatusCode.Created, referencing.StatusCode);
        Assert.Equal(2, referencingRequests);
        Assert.Equal(HttpStatusCode.OK, transaction.StatusCode);
        Assert.Equal(2, transactionRequests);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(2, deleteRequests);
        foreach (var response in new[] { created, read, vread, updated, patched, searched, conditional, referencing, transaction, deleted })
        {
            response.Dispose();
        }
    }
}
