using System.Net;
using System.Text.Json;

namespace Enclave.Api.Tests.Auth;

public sealed class DiscoveryTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Theory]
    [InlineData("/api/.well-known/openid-configuration")]
    [InlineData("/api/fhir/R4/.well-known/smart-configuration")]
    public async Task Discovery_documents_point_at_the_real_token_endpoint_and_keys(string path)
    {
        using var http = app.CreateClient();

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tokenEndpoint = new Uri(body.RootElement.GetProperty("token_endpoint").GetString()!);
        var jwks = new Uri(body.RootElement.GetProperty("jwks_uri").GetString()!);
        using var keys = await http.GetAsync(new Uri(jwks.AbsolutePath, UriKind.Relative));
        using var token = await AuthClient.RequestTokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/oauth2/token", tokenEndpoint.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal(["client_credentials", "authorization_code", "refresh_token"], body.RootElement.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
    }
}
