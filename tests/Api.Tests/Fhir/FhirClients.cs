using System.Net.Http.Headers;
using Hl7.Fhir.Rest;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Firely's <see cref="FhirClient"/> talking to the in-process app with a bearer token.</summary>
internal static class FhirClients
{
    public static FhirClient Create(EnclaveApiFixture app, string token, ResourceFormat format = ResourceFormat.Json) =>
        new(new Uri(app.Server.BaseAddress, "/api/fhir/R4/"), new FhirClientSettings { PreferredFormat = format, VerifyFhirVersion = false },
            new AuthorizingHandler(app.Server.CreateHandler(), token));

    /// <summary>A new project with an HTTP client, its admin token and a FhirClient for that token.</summary>
    public static async Task<(HttpClient Http, string Token, FhirClient Client)> NewProjectAsync(EnclaveApiFixture app, string name)
    {
        var http = app.CreateClient();
        var (_, token) = await Auth.AuthClient.NewProjectTokenAsync(http, app, name);
        return (http, token, Create(app, token));
    }

    private sealed class AuthorizingHandler(HttpMessageHandler inner, string token) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
