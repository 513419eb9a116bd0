using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests;
using Enclave.Api.Tests.Auth;
using Enclave.Api.Tests.Fhir;
using Hl7.Fhir.Rest;

namespace Enclave.Conformance.Tests;

/// <summary>
/// Base of the conformance tests: a project of their own, Firely's <see cref="FhirClient"/> where a client can express the
/// call, raw HTTP where it cannot, and <see cref="RuleAsync"/>, which records each rule's result for the report.
/// </summary>
[Collection(ConformanceSuite.Name)]
public abstract class ConformanceTest(ConformanceFixture suite)
{
    protected const string Base = "/api/fhir/R4";

    protected EnclaveApiFixture App => suite.App;

    /// <summary>Runs a rule's test body and records whether it held.</summary>
    protected async Task RuleAsync(Func<Project, Task> body, [CallerMemberName] string test = "")
    {
        var name = $"{GetType().Name}.{test}";
        using var http = App.CreateClient();
        var (projectId, token) = await AuthClient.NewProjectTokenAsync(http, App, name);
        var project = new Project(http, projectId, token, FhirClients.Create(App, token));
        try
        {
            await body(project);
            suite.Record(name, passed: true);
        }
        catch
        {
            suite.Record(name, passed: false);
            throw;
        }
    }

    /// <summary>A project of one test: raw HTTP with its admin token, and a FhirClient.</summary>
    protected sealed record Project(HttpClient Http, string Id, string Token, FhirClient Client)
    {
        public async Task<(HttpResponseMessage Response, string Text)> SendAsync(HttpMethod method, string path, string? body = null,
            string contentType = "application/fhir+json", params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(method, path.StartsWith('/') ? path : $"{Base}/{path}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var response = await Http.SendAsync(request);
            return (response, await response.Content.ReadAsStringAsync());
        }

        public async Task<JsonElement> JsonAsync(HttpMethod method, string path, string? body = null, params (string Name, string Value)[] headers)
        {
            var (response, text) = await SendAsync(method, path, body, headers: headers);
            using (response)
            {
                Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
                return JsonDocument.Parse(text).RootElement.Clone();
            }
        }

        /// <summary>Creates a resource from JSON; its id.</summary>
        public async Task<string> CreateAsync(string json)
        {
            var type = JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString();
            return (await JsonAsync(HttpMethod.Post, type!, json)).GetProperty("id").GetString()!;
        }
    }
}
