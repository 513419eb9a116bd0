using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Enclave.Api.Tests.Auth;

/// <summary>Users: invited into projects, signed in with a password and PKCE, refreshed with rotation.</summary>
public sealed class UserLoginTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string Password = "correct horse battery staple";

    private static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Two projects, and one user invited into both.</summary>
    private async Task<(HttpClient Http, string Email, (string Id, string Token) A, (string Id, string Token) B)> UserInTwoProjectsAsync()
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var a = await AuthClient.CreateProjectAsync(http, superAdmin, "Practice A");
        var b = await AuthClient.CreateProjectAsync(http, superAdmin, "Practice B");
        var adminA = await AuthClient.TokenAsync(http, a.ClientId, a.Secret);
        var adminB = await AuthClient.TokenAsync(http, b.ClientId, b.Secret);
        var email = $"{Guid.NewGuid():N}@example.org";
        using var first = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.ProjectId}/invite", adminA,
            new { email, firstName = "Ada", lastName = "Lovelace", password = Password, admin = true, profile = new { reference = "Practitioner/ada" } });
        // Every invitation carries a password (ADR 0003); the existing user keeps theirs, so this one is ignored.
        using var second = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.ProjectId}/invite", adminB,
            new { email = email.ToUpperInvariant(), password = "B's ignored password" });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal((await JsonOf(first)).GetProperty("user").GetProperty("id").GetString(), (await JsonOf(second)).GetProperty("user").GetProperty("id").GetString());
        Assert.DoesNotContain("password", await first.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        return (http, email, (a.ProjectId, adminA), (b.ProjectId, adminB));
    }

    private static async Task<HttpResponseMessage> TokenAsync(HttpClient http, Dictionary<string, string> form) =>
        await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative), new FormUrlEncodedContent(form));

    [Fact]
    public async Task A_member_of_two_projects_chooses_one_and_its_token_never_acts_in_the_other()
    {
        var (http, email, a, b) = await UserInTwoProjectsAsync();
        using (http)
        {
            var (verifier, challenge) = Pkce();
            using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password, codeChallenge = challenge, codeChallengeMethod = "S256" });
            var listed = await JsonOf(login);
            var memberships = listed.GetProperty("memberships").EnumerateArray().ToList();
            var inA = memberships.Single(m => m.GetProperty("project").GetProperty("reference").GetString() == $"Project/{a.Id}");
            using var profile = await http.PostAsJsonAsync("/api/auth/profile", new { login = listed.GetProperty("login").GetString(), profile = inA.GetProperty("id").GetString() });
            var code = (await JsonOf(profile)).GetProperty("code").GetString()!;
            using var tokens = await TokenAsync(http, new() { ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = verifier });
            var body = await JsonOf(tokens);
            var access = body.GetProperty("access_token").GetString()!;

            using var inOwn = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/client", access, new { name = "made by Ada" });
            using var inOther = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/client", access, new { name = "intrusion" });

            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            Assert.Equal(2, memberships.Count);
            Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
            Assert.Equal(a.Id, new JsonWebToken(access).GetClaim("project").Value);
            Assert.StartsWith("User/", new JsonWebToken(access).Subject, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Created, inOwn.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, inOther.StatusCode);
            var logs = string.Join("\n", app.Logs.Lines);
            Assert.DoesNotContain(Password, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(code, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(access, logs, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Codes_are_single_use_and_need_the_right_verifier()
    {
        var (http, email, a, _) = await UserInTwoProjectsAsync();
        using (http)
        {
            var (verifier, challenge) = Pkce();
            using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password, codeChallenge = challenge, codeChallengeMethod = "S256", projectId = a.Id });
            var code = (await JsonOf(login)).GetProperty("code").GetString()!;

            using var wrongVerifier = await TokenAsync(http, new() { ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = Pkce().Verifier });
            using var right = await TokenAsync(http, new() { ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = verifier });
            using var replay = await TokenAsync(http, new() { ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = verifier });

            Assert.Equal(HttpStatusCode.BadRequest, wrongVerifier.StatusCode);
            Assert.Equal("invalid_grant", (await JsonOf(wrongVerifier)).GetProperty("error").GetString());
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        }
    }

    [Fact]
    public async Task Refresh_tokens_rotate_and_a_replayed_one_revokes_the_login()
    {
        var (http, email, a, _) = await UserInTwoProjectsAsync();
        using (http)
        {
            var (verifier, challenge) = Pkce();
            using var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password, codeChallenge = challenge, codeChallengeMethod = "S256", projectId = a.Id });
            using var first = await TokenAsync(http, new() { ["grant_type"] = "authorization_code", ["code"] = (await JsonOf(login)).GetProperty("code").GetString()!, ["code_verifier"] = verifier });
            var refresh1 = (await JsonOf(first)).GetProperty("refresh_token").GetString()!;

            using var second = await TokenAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh1 });
            var refresh2 = (await JsonOf(second)).GetProperty("refresh_token").GetString()!;
            using var replayed = await TokenAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh1 });
            using var afterTheft = await TokenAsync(http, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refresh2 });

            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.NotEqual(refresh1, refresh2);
            Assert.Equal(HttpStatusCode.BadRequest, replayed.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, afterTheft.StatusCode);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_wrong_password_and_an_unknown_email_get_the_same_answer(bool knownEmail)
    {
        var (http, email, _, _) = await UserInTwoProjectsAsync();
        using (http)
        {
            using var response = await http.PostAsJsonAsync("/api/auth/login", new
            {
                email = knownEmail ? email : "nobody@example.org",
                password = "wrong password here",
                codeChallenge = Pkce().Challenge,
                codeChallengeMethod = "S256",
            });

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("Email or password is invalid.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Inviting_needs_admin_rights_in_that_project()
    {
        var (http, _, a, b) = await UserInTwoProjectsAsync();
        using (http)
        {
            using var response = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", a.Token,
                new { email = $"{Guid.NewGuid():N}@example.org", password = Password });

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }
}
