using System.Net;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// Bodies nested 10,000 and 100,000 levels deep, JSON and XML, sent to the handler in its own process: each is
/// refused with a 4xx OperationOutcome, and the process still serves afterwards (issue 13 §9: one such XML body
/// used to overflow the stack and kill the process).
/// </summary>
public sealed class CrashContainmentTests
{
    public static TheoryData<string, string, string> DeepBodies() => new()
    {
        { "json arrays, 10k", "application/fhir+json", "{\"resourceType\":\"Patient\",\"active\":" + Repeat("[", 10_000) + Repeat("]", 10_000) + "}" },
        { "json arrays, 100k", "application/fhir+json", "{\"resourceType\":\"Patient\",\"active\":" + Repeat("[", 100_000) + Repeat("]", 100_000) + "}" },
        { "json extensions, 10k", "application/fhir+json",
            "{\"resourceType\":\"Patient\"," + Repeat("\"extension\":[{\"url\":\"x\",", 10_000) + "\"valueString\":\"v\"" + Repeat("}]", 10_000) + "}" },
        { "json objects, 100k", "application/fhir+json", "{\"resourceType\":\"Patient\",\"active\":" + Repeat("{\"a\":", 100_000) + "1" + Repeat("}", 100_000) + "}" },
        { "xml extensions, 10k", "application/fhir+xml",
            "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<extension url=\"x\">", 10_000) + Repeat("</extension>", 10_000) + "</Patient>" },
        { "xml extensions, 50k", "application/fhir+xml",
            "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<extension>", 50_000) + Repeat("</extension>", 50_000) + "</Patient>" },
        { "xml elements, 100k", "application/fhir+xml", "<Patient xmlns=\"http://hl7.org/fhir\">" + Repeat("<a>", 100_000) + Repeat("</a>", 100_000) + "</Patient>" },
    };

    [Fact]
    public async Task Deeply_nested_bodies_are_refused_and_the_process_still_serves()
    {
        await using var handler = await HandlerProcess.StartAsync();
        var http = handler.Http;
        var superAdmin = await AuthClient.TokenAsync(http, handler.Settings["Auth:BootstrapClientId"]!, handler.Settings["Auth:BootstrapClientSecret"]!);
        var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Deep nesting");
        var token = await AuthClient.TokenAsync(http, project.ClientId, project.Secret);

        foreach (var row in DeepBodies())
        {
            var (name, contentType, body) = ((string)row[0], (string)row[1], (string)row[2]);
            using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, new StringContent(body, Encoding.UTF8, contentType));
            var text = await response.Content.ReadAsStringAsync();

            Assert.False(handler.HasExited, $"The process died on {name}.");
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{name}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
            Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
        }

        using var health = await http.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body("""{"resourceType":"Patient","active":true}"""));
        using var history = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient/_history", token);
        using var versions = JsonDocument.Parse(await history.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(1, versions.RootElement.GetProperty("entry").GetArrayLength());
    }

    private static string Repeat(string text, int times) => new StringBuilder(text.Length * times).Insert(0, text, times).ToString();
}
