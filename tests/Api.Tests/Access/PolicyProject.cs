using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Access;

/// <summary>
/// Test helper: a project with its admin, where access policies are written and members (client applications whose
/// memberships carry <c>access[]</c>) are made through the real admin and FHIR APIs, each with its own token.
/// </summary>
internal sealed class PolicyProject(HttpClient http, string projectId, string adminToken)
{
    public string ProjectId => projectId;

    public string AdminToken => adminToken;

    public HttpClient Http => http;

    public static async Task<PolicyProject> CreateAsync(EnclaveApiFixture app, HttpClient http, string name)
    {
        var (projectId, token) = await AuthClient.NewProjectTokenAsync(http, app, name);
        return new PolicyProject(http, projectId, token);
    }

    /// <summary>Writes an AccessPolicy with this id; asserts it was accepted.</summary>
    public async Task PutPolicyAsync(string id, string resourceRulesJson)
    {
        using var response = await SendAsync(HttpMethod.Put, $"AccessPolicy/{id}", adminToken,
            $$"""{"resourceType":"AccessPolicy","id":"{{id}}","resource":{{resourceRulesJson}}}""");
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A new member whose membership has <paramref name="accessJson"/> as <c>access</c> (and the profile, if given); its token.</summary>
    public async Task<string> MemberAsync(string name, string accessJson, string? profile = null) =>
        (await MemberWithMembershipAsync(name, accessJson, profile)).Token;

    /// <summary>Like <see cref="MemberAsync"/>, with the membership as stored.</summary>
    public async Task<(string Token, JsonObject Membership)> MemberWithMembershipAsync(string name, string accessJson, string? profile = null)
    {
        using var created = await AuthClient.PostAsync(http, $"/api/admin/projects/{projectId}/client", adminToken, new { name });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var membership = body["membership"]!.AsObject();
        membership["access"] = JsonNode.Parse(accessJson);
        if (profile is not null)
        {
            membership["profile"] = new JsonObject { ["reference"] = profile };
        }

        using var updated = await SendAsync(HttpMethod.Put, $"ProjectMembership/{membership["id"]}", adminToken, membership.ToJsonString());
        Assert.True(updated.IsSuccessStatusCode, await updated.Content.ReadAsStringAsync());
        return (await AuthClient.TokenAsync(http, (string)body["client"]!["id"]!, (string)body["client"]!["secret"]!), membership);
    }

    /// <summary>
    /// A new user invited with <paramref name="accessJson"/> as its membership's <c>access</c>, signed in with email,
    /// password and PKCE; its access token.
    /// </summary>
    public async Task<string> UserAsync(string accessJson, string profile)
    {
        const string Password = "correct horse battery staple";
        var email = $"{Guid.NewGuid():N}@example.org";
        var invitation = new JsonObject
        {
            ["email"] = email,
            ["password"] = Password,
            ["profile"] = new JsonObject { ["reference"] = profile },
            ["access"] = JsonNode.Parse(accessJson),
        };
        using (var invited = await AuthClient.SendAsync(http, HttpMethod.Post, $"/api/admin/projects/{projectId}/invite", adminToken,
            AuthClient.Body(invitation.ToJsonString(), "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        }

        var verifier = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var challenge = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var login = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/auth/login", null, AuthClient.Body(
            new JsonObject { ["email"] = email, ["password"] = Password, ["codeChallenge"] = challenge, ["codeChallengeMethod"] = "S256", ["projectId"] = projectId }.ToJsonString(),
            "application/json"));
        var code = JsonNode.Parse(await login.Content.ReadAsStringAsync())!["code"]!.GetValue<string>();
        using var tokens = await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative), new FormUrlEncodedContent(
            [new("grant_type", "authorization_code"), new("code", code), new("code_verifier", verifier)]));
        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        return JsonNode.Parse(await tokens.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
    }

    /// <summary>One <c>access[]</c> entry: the policy and its reference parameters.</summary>
    public static string Access(string policy, params (string Name, string Reference)[] parameters) =>
        $$"""{"policy":{"reference":"AccessPolicy/{{policy}}"},"parameter":[{{string.Join(',', parameters.Select(p => $$$"""{"name":"{{{p.Name}}}","valueReference":{"reference":"{{{p.Reference}}}"}}"""))}}]}""";

    /// <summary>Creates a resource as the admin; its id.</summary>
    public async Task<string> CreateAsync(string json)
    {
        var type = JsonNode.Parse(json)!["resourceType"]!.GetValue<string>();
        using var response = await SendAsync(HttpMethod.Post, type, adminToken, json);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    /// <summary>A FHIR request relative to the base, with the token and an optional FHIR JSON (or other) body.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, string? body = null, string mediaType = "application/fhir+json") =>
        AuthClient.SendAsync(http, method, $"/api/fhir/R4/{path}", token, body is null ? null : AuthClient.Body(body, mediaType));

    /// <summary>The status and JSON body of a FHIR request.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> CallAsync(HttpMethod method, string path, string token, string? body = null, string mediaType = "application/fhir+json")
    {
        using var response = await SendAsync(method, path, token, body, mediaType);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>References in the order <see cref="Ids"/> lists them.</summary>
    public static List<string> Sorted(params string[] references) => [.. references.Order(StringComparer.Ordinal)];

    /// <summary>The ids (<c>Type/id</c>) of a search's entries with the given mode.</summary>
    public static List<string> Ids(JsonElement bundle, string mode = "match") =>
        bundle.TryGetProperty("entry", out var entries)
            ? [.. entries.EnumerateArray().Where(e => e.GetProperty("search").GetProperty("mode").GetString() == mode)
                .Select(e => $"{e.GetProperty("resource").GetProperty("resourceType").GetString()}/{e.GetProperty("resource").GetProperty("id").GetString()}")
                .Order(StringComparer.Ordinal)]
            : [];
}
