using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Enclave.Api.Tests.Auth;

/// <summary>Test helper: tokens from the real token endpoint, and the admin API with them.</summary>
internal static class AuthClient
{
    public static async Task<HttpResponseMessage> RequestTokenAsync(HttpClient http, string clientId, string secret, bool basic = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/oauth2/token", UriKind.Relative));
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (basic)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        }
        else
        {
            form["client_id"] = clientId;
            form["client_secret"] = secret;
        }

        request.Content = new FormUrlEncodedContent(form);
        return await http.SendAsync(request);
    }

    public static async Task<string> TokenAsync(HttpClient http, string clientId, string secret)
    {
        using var response = await RequestTokenAsync(http, clientId, secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("access_token").GetString()!;
    }

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string? token, object body) =>
        SendAsync(http, HttpMethod.Post, path, token, JsonContent.Create(body));

    /// <summary>A request with a bearer token (when given), a body (when given) and an If-Match (when given).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? token,
        HttpContent? content = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.RelativeOrAbsolute)) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await http.SendAsync(request);
    }

    /// <summary>A text body of the given media type.</summary>
    public static StringContent Body(string text, string mediaType = "application/fhir+json") => new(text, System.Text.Encoding.UTF8, mediaType);

    /// <summary>A new project, made by the fixture's super admin, and a token of its admin client.</summary>
    public static async Task<(string ProjectId, string Token)> NewProjectTokenAsync(HttpClient http, EnclaveApiFixture app, string name)
    {
        var superAdmin = await TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var project = await CreateProjectAsync(http, superAdmin, name);
        return (project.ProjectId, await TokenAsync(http, project.ClientId, project.Secret));
    }

    /// <summary>Creates a project as super admin; returns its id and its admin client's id and secret.</summary>
    public static async Task<(string ProjectId, string ClientId, string Secret)> CreateProjectAsync(HttpClient http, string superAdminToken, string name)
    {
        using var response = await PostAsync(http, "/api/admin/projects", superAdminToken, new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var client = body.RootElement.GetProperty("client");
        return (body.RootElement.GetProperty("project").GetProperty("id").GetString()!, client.GetProperty("id").GetString()!, client.GetProperty("secret").GetString()!);
    }
}
