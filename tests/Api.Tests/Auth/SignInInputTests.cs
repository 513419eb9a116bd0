using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Enclave.Api.Tests.Auth;

/// <summary>
/// Hostile bodies on the token, login and tenancy routes get a 4xx in the route's error format (RFC 6749 JSON at
/// the token endpoint, an OperationOutcome elsewhere), never a 500. Regressions for forms with 2,000 fields, a 5 MB
/// value, multipart without a boundary, a 64 KB client_id, and JSON bodies that do not parse or have wrong types.
/// </summary>
public sealed class SignInInputTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static StringContent Form(string text) => new StringContent(text, Encoding.ASCII, "application/x-www-form-urlencoded");

    private static string Fields(int count) => string.Join("&", Enumerable.Range(0, count).Select(i => $"f{i}=v"));

    public static TheoryData<string, int> TokenBodies => new()
    {
        { "2000 fields", 400 },
        { "5 MB value", 413 },
        { "multipart without boundary", 400 },
        { "64 KB client_id", 413 },
        { "5 KB client_id", 400 },
        { "1 KB client_id", 400 },
        { "64 KB client_id in Basic", 431 }, // over the edge's header limit (docs/limits.md)
        { "json", 400 },
        { "no content type", 400 },
        { "refresh token with a 4 KB login id", 400 },
    };

    private static HttpRequestMessage TokenRequest(string name)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/oauth2/token", UriKind.Relative));
        switch (name)
        {
            case "2000 fields":
                request.Content = Form("grant_type=client_credentials&" + Fields(2000));
                break;
            case "5 MB value":
                request.Content = Form("grant_type=client_credentials&client_id=" + new string('a', 5 * 1024 * 1024));
                break;
            case "multipart without boundary":
                request.Content = new StringContent("--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--\r\n");
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
                break;
            case "64 KB client_id":
                request.Content = Form("grant_type=client_credentials&client_secret=x&client_id=" + new string('a', 64 * 1024));
                break;
            case "5 KB client_id":
                request.Content = Form("grant_type=client_credentials&client_secret=x&client_id=" + new string('a', 5 * 1024));
                break;
            case "1 KB client_id":
                request.Content = Form("grant_type=client_credentials&client_secret=x&client_id=" + new string('a', 1024));
                break;
            case "64 KB client_id in Basic":
                request.Content = Form("grant_type=client_credentials");
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('a', 64 * 1024) + ":x")));
                break;
            case "json":
                request.Content = new StringContent("""{"grant_type":"client_credentials"}""", Encoding.UTF8, "application/json");
                break;
            case "no content type":
                request.Content = new ByteArrayContent(Encoding.ASCII.GetBytes("grant_type=client_credentials"));
                break;
            case "refresh token with a 4 KB login id":
                request.Content = Form($"grant_type=refresh_token&refresh_token={new string('a', 4000)}.secret");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }

        return request;
    }

    [Theory]
    [MemberData(nameof(TokenBodies))]
    public async Task Hostile_token_requests_get_an_rfc6749_error_not_a_500(string name, int status)
    {
        using var http = app.CreateClient();
        using var request = TokenRequest(name);

        using var response = await http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(name == "refresh token with a 4 KB login id" ? "invalid_grant" : "invalid_request", body.RootElement.GetProperty("error").GetString());
        Assert.True(body.RootElement.TryGetProperty("error_description", out _));
    }

    public static TheoryData<string, string, string, int> JsonBodies => new()
    {
        { "/api/auth/login", "application/json", "{not json", 400 },
        { "/api/auth/login", "application/json", """{"email":5,"password":["x"],"codeChallenge":"c","codeChallengeMethod":"S256"}""", 400 },
        { "/api/auth/login", "application/json", """{"email":"a@b.c","email":"d@e.f","codeChallenge":"c","codeChallengeMethod":"S256"}""", 400 },
        { "/api/auth/login", "application/json", "[]", 400 },
        { "/api/auth/login", "text/plain", "email=a@b.c", 415 },
        { "/api/auth/login", "application/json", $$"""{"email":"{{new string('a', 64 * 1024)}}@example.org","password":"x","codeChallenge":"c","codeChallengeMethod":"S256"}""", 413 },
        { "/api/auth/login", "application/json", $$"""{"email":"{{new string('a', 8 * 1024)}}@example.org","password":"x","codeChallenge":"c","codeChallengeMethod":"S256"}""", 400 },
        { "/api/auth/login", "application/json", $$"""{"email":"a@b.c","password":"x","codeChallenge":"{{new string('c', 4096)}}","codeChallengeMethod":"S256"}""", 400 },
        { "/api/auth/profile", "application/json", "{\"login\":", 400 },
        { "/api/auth/profile", "application/json", """{"login":{"id":1},"profile":2}""", 400 },
        { "/api/auth/profile", "application/json", $$"""{"login":"{{new string('a', 4000)}}","profile":"p"}""", 400 },
    };

    [Theory]
    [MemberData(nameof(JsonBodies))]
    public async Task Hostile_login_bodies_get_an_operation_outcome_not_a_500(string path, string mediaType, string text, int status)
    {
        using var http = app.CreateClient();

        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(text, Encoding.UTF8, mediaType));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("OperationOutcome", body.RootElement.GetProperty("resourceType").GetString());
        Assert.DoesNotContain("Exception", body.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string> TenancyBodies => new()
    {
        { "POST", "/api/admin/projects" },
        { "POST", "/api/admin/projects/{project}/client" },
        { "POST", "/api/admin/projects/{project}/invite" },
        { "PUT", "/api/fhir/R4/Project/{project}" },
        { "PUT", "/api/fhir/R4/ProjectMembership/{membership}" },
        { "POST", "/api/fhir/R4/AccessPolicy" },
        { "PUT", "/api/fhir/R4/AccessPolicy/p1" },
    };

    [Theory]
    [MemberData(nameof(TenancyBodies))]
    public async Task Tenancy_routes_answer_bad_json_with_an_operation_outcome_not_a_bare_400(string method, string template)
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Bodies");
        var admin = await AuthClient.TokenAsync(http, project.ClientId, project.Secret);
        using var members = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/ProjectMembership", admin);
        var membership = JsonDocument.Parse(await members.Content.ReadAsStringAsync()).RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("id").GetString()!;
        var path = template.Replace("{project}", project.ProjectId, StringComparison.Ordinal).Replace("{membership}", membership, StringComparison.Ordinal);
        var token = template == "/api/admin/projects" ? superAdmin : admin;

        foreach (var (text, mediaType, status) in new[]
        {
            ("{\"name\":", "application/json", 400),
            ("""{"name":5,"email":true,"password":[],"id":{},"resourceType":7,"project":"x"}""", "application/json", 400),
            ("name=x", "application/x-www-form-urlencoded", 415),
            ("{\"\\ud800\":1}", "application/json", 400), // a key no UTF-16 text can hold
            ("{\"resourceType\":\"AccessPolicy\",\"name\":\"x\\udc00\"}", "application/json", 400),
            ("{\"resourceType\":\"ProjectMembership\",\"profile\":{\"reference\":\"Practitioner/\\ud800\"},\"resource\":[{\"resourceType\":\"Patient\",\"criteria\":\"Patient?name=\\ud800\"}],\"setting\":[{\"name\":\"\\ud800\",\"valueString\":\"\\ud800\"}],\"email\":\"\\ud800@x.org\"}", "application/json", 400),
        })
        {
            using var response = await AuthClient.SendAsync(http, new HttpMethod(method), path, token, AuthClient.Body(text, mediaType));
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(status, (int)response.StatusCode);
            Assert.Equal("OperationOutcome", JsonDocument.Parse(body).RootElement.GetProperty("resourceType").GetString());
        }
    }

    [Theory]
    [InlineData("""[null]""", null)]
    [InlineData("""[{"policy":null,"parameter":[]}]""", null)]
    [InlineData("""[{"policy":{"reference":"Patient/1"}}]""", null)]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/a"},"parameter":[null]}]""", null)]
    [InlineData("""[]""", """{"reference":null}""")]
    [InlineData("""[]""", """{"reference":"no-slash"}""")]
    public async Task Memberships_with_nulls_or_malformed_references_are_refused_when_written(string access, string? profile)
    {
        using var http = app.CreateClient();
        var (projectId, admin) = await AuthClient.NewProjectTokenAsync(http, app, "Malformed memberships");
        var profileJson = profile is null ? string.Empty : $",\"profile\":{profile}";
        using var invite = await AuthClient.SendAsync(http, HttpMethod.Post, $"/api/admin/projects/{projectId}/invite", admin, AuthClient.Body(
            $$"""{"email":"{{Guid.NewGuid():N}}@example.org","password":"a long enough password","access":{{access}}{{profileJson}}}""", "application/json"));
        using var members = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/ProjectMembership", admin);
        var stored = JsonDocument.Parse(await members.Content.ReadAsStringAsync()).RootElement;
        var own = stored.GetProperty("entry")[0].GetProperty("resource");
        using var put = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/ProjectMembership/{own.GetProperty("id").GetString()}", admin, AuthClient.Body(
            $$"""{"resourceType":"ProjectMembership","id":"{{own.GetProperty("id").GetString()}}","project":{{own.GetProperty("project").GetRawText()}},"user":{{own.GetProperty("user").GetRawText()}},"admin":true,"access":{{access}}{{profileJson}}}""",
            "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, invite.StatusCode);
        Assert.Contains("OperationOutcome", await invite.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, stored.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("OperationOutcome", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "User/a%5Cb")]
    [InlineData("GET", "ProjectMembership/a%5Cb")]
    [InlineData("DELETE", "ProjectMembership/%FF")]
    [InlineData("GET", "ClientApplication/a%5Cb")]
    [InlineData("GET", "AccessPolicy/a%23b")]
    [InlineData("PUT", "AccessPolicy/a%5Cb")]
    [InlineData("GET", "Project/x%5Cy")]
    public async Task Tenancy_ids_no_resource_can_have_are_404_with_an_operation_outcome(string method, string path)
    {
        using var http = app.CreateClient();
        var (_, admin) = await AuthClient.NewProjectTokenAsync(http, app, "Odd ids");

        using var response = await AuthClient.SendAsync(http, new HttpMethod(method), $"/api/fhir/R4/{path}", admin,
            method == "PUT" ? AuthClient.Body("""{"resourceType":"AccessPolicy","resource":[]}""") : null);
        using var longId = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/ProjectMembership/{new string('a', 2000)}", admin);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("OperationOutcome", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, longId.StatusCode);
    }
}
