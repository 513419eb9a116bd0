using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Functions.Invocation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// Fail closed, for every function the app has, found from its attributes rather than listed by hand: without a
/// token each one is refused (401) unless it is marked anonymous, and a token of another project reaches nothing of
/// this one.
/// </summary>
public sealed class EveryFunctionAuthenticatesTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    /// <summary>The functions that answer without a token. Marking another one anonymous fails this test until it is reviewed here.</summary>
    private static readonly string[] s_anonymous =
        ["FhirMetadata", "Health", "Jwks", "Login", "LoginProfile", "OpenIdConfiguration", "SmartConfiguration", "Token"];

    private static IEnumerable<(FunctionEntry Entry, string Method)> HttpFunctions() =>
        FunctionCatalog.App.Entries.Where(e => e.Trigger == FunctionEntry.HttpTrigger).SelectMany(e => e.HttpMethods.Select(m => (e, m)));

    /// <summary>The function's route with every route value filled in.</summary>
    private static string Path(FunctionEntry entry, string projectId, string id) =>
        "/api/" + entry.Route!.Replace("{type}", "Patient", StringComparison.Ordinal).Replace("{id}", id, StringComparison.Ordinal)
            .Replace("{vid}", "1", StringComparison.Ordinal).Replace("{projectId}", projectId, StringComparison.Ordinal);

    private static async Task<HttpResponseMessage> CallAsync(HttpClient http, FunctionEntry entry, string method, string? token, string projectId, string id)
    {
        var content = method is "GET" or "HEAD" or "DELETE" ? null : AuthClient.Body("{}");
        return await AuthClient.SendAsync(http, new HttpMethod(method), Path(entry, projectId, id), token, content);
    }

    [Fact]
    public async Task No_request_is_authenticated_outside_the_invocation_step()
    {
        // With a default scheme, WebApplication's own middleware would validate every token (anonymous functions' too)
        // before the edge, and the invocation step would validate it again.
        var schemes = app.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        Assert.Null(await schemes.GetDefaultAuthenticateSchemeAsync());
        Assert.NotNull(await schemes.GetSchemeAsync(JwtBearerDefaults.AuthenticationScheme));
    }

    [Fact]
    public void Only_the_reviewed_functions_are_anonymous()
    {
        var anonymous = FunctionCatalog.App.Entries.Where(e => e.Anonymous).Select(e => e.Name).Order(StringComparer.Ordinal);

        Assert.Equal(s_anonymous, anonymous);
    }

    [Fact]
    public async Task Every_other_function_refuses_a_call_without_a_valid_token()
    {
        using var http = app.CreateClient();
        var checkedCount = 0;
        foreach (var (entry, method) in HttpFunctions().Where(f => !f.Entry.Anonymous))
        {
            foreach (var token in new string?[] { null, "not-a-token" })
            {
                using var response = await CallAsync(http, entry, method, token, "p1", "x1");

                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {entry.Name} answered {(int)response.StatusCode} to token '{token}'.");
                Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
                Assert.Equal("OperationOutcome", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("resourceType").GetString());
                checkedCount++;
            }
        }

        Assert.True(checkedCount >= 2 * 35, $"Only {checkedCount} calls checked.");
    }

    [Fact]
    public async Task The_anonymous_functions_answer_without_a_token()
    {
        using var http = app.CreateClient();
        foreach (var (entry, method) in HttpFunctions().Where(f => f.Entry.Anonymous))
        {
            using var response = await CallAsync(http, entry, method, null, "p1", "x1");

            Assert.True(response.StatusCode != HttpStatusCode.Unauthorized && (int)response.StatusCode < 500,
                $"{method} {entry.Name} answered {(int)response.StatusCode} without a token.");
        }
    }

    [Fact]
    public async Task A_token_of_another_project_reaches_nothing_of_this_one()
    {
        using var http = app.CreateClient();
        var (projectA, tokenA) = await AuthClient.NewProjectTokenAsync(http, app, "Wall A");
        var (projectB, tokenB) = await AuthClient.NewProjectTokenAsync(http, app, "Wall B");
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", tokenA,
            AuthClient.Body("""{"resourceType":"Patient","name":[{"family":"Walled"}]}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var patientA = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        foreach (var (entry, method) in HttpFunctions().Where(f => !f.Entry.Anonymous))
        {
            using var response = await CallAsync(http, entry, method, tokenB, projectA, patientA);
            var body = await response.Content.ReadAsStringAsync();
            var what = $"{method} {entry.Name} with another project's token answered {(int)response.StatusCode}: {body}";

            Assert.True((int)response.StatusCode < 500, what);
            if (entry.Route!.Contains("{projectId}", StringComparison.Ordinal))
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, what);
            }
            else if (response.IsSuccessStatusCode && entry.Name == "AuditSearch")
            {
                // B's own trail, which names the ids B asked for in this sweep: every record is B's.
                var records = JsonDocument.Parse(body).RootElement.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().ToList() : [];
                Assert.All(records, r => Assert.Equal(projectB, r.GetProperty("resource").GetProperty("source").GetProperty("site").GetString()));
            }
            else if (response.IsSuccessStatusCode)
            {
                Assert.DoesNotContain(patientA, body, StringComparison.Ordinal);
                Assert.DoesNotContain(projectA, body, StringComparison.Ordinal);
            }
        }

        // Nothing the sweep sent changed project A's patient.
        using var read = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{patientA}", tokenA);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("1", JsonDocument.Parse(await read.Content.ReadAsStringAsync()).RootElement.GetProperty("meta").GetProperty("versionId").GetString());
    }
}
