using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Enclave.Api.Tests.Auth;

public sealed class TokenEndpointTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Client_credentials_grant_issues_an_es256_token_bound_to_the_clients_membership(bool basic)
    {
        using var http = app.CreateClient();
        var (id, secret) = app.SuperAdmin;

        using var response = await AuthClient.RequestTokenAsync(http, id, secret, basic);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var token = new JsonWebToken(body.RootElement.GetProperty("access_token").GetString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("Bearer", body.RootElement.GetProperty("token_type").GetString());
        Assert.Equal(3600, body.RootElement.GetProperty("expires_in").GetInt32());
        Assert.Equal("ES256", token.Alg);
        Assert.Equal("system", token.GetClaim("project").Value);
        Assert.Equal($"ClientApplication/{id}", token.Subject);
        Assert.False(string.IsNullOrEmpty(token.GetClaim("membership").Value));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Wrong_or_unknown_credentials_are_invalid_client(bool basic)
    {
        using var http = app.CreateClient();
        var (id, _) = app.SuperAdmin;

        using var wrong = await AuthClient.RequestTokenAsync(http, id, "not-the-secret", basic);
        using var unknown = await AuthClient.RequestTokenAsync(http, "no-such-client", "whatever", basic);

        foreach (var response in new[] { wrong, unknown })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("invalid_client", body.RootElement.GetProperty("error").GetString());
            Assert.Equal(basic, response.Headers.WwwAuthenticate.Count > 0);
        }
    }

    [Theory]
    [InlineData("grant_type=password&username=a&password=b", "unsupported_grant_type")]
    [InlineData("client_id=x&client_secret=y", "invalid_request")]
    [InlineData("grant_type=client_credentials", "invalid_request")]
    public async Task Malformed_token_requests_get_rfc6749_errors(string form, string error)
    {
        using var http = app.CreateClient();

        using var response = await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative),
            new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, body.RootElement.GetProperty("error").GetString());
        Assert.True(body.RootElement.TryGetProperty("error_description", out _));
    }

    [Fact]
    public async Task A_json_token_request_is_refused()
    {
        using var http = app.CreateClient();

        using var response = await http.PostAsync(new Uri("/api/oauth2/token", UriKind.Relative),
            new StringContent("{\"grant_type\":\"client_credentials\"}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
