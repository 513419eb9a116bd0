using System.Net.Http.Headers;
using Hl7.Fhir.Rest;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Firely's <see cref="FhirClient"/> talking to the in-process app with a bearer token.</summary>
internal static class FhirClients
{
    public static FhirClient Create(EnclaveApiFixture app, string token, ResourceFormat format = ResourceFormat.Json) =>
        new(new Uri(app.Server.BaseAddress, "/api/fhir/R4/"), new FhirClientSettings { PreferredFormat = format, VerifyFhirVersion = false },
            new AuthorizingHandler(app.Server.CreateHandler(), token));

    private sealed class AuthorizingHandler(HttpMessageHandler inner, string token) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
