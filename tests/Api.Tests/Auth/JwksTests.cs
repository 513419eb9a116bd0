using System.Net;
using Enclave.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Enclave.Api.Tests.Auth;

public sealed class JwksTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task Jwks_publishes_the_public_signing_key_and_nothing_private()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/.well-known/jwks.json", UriKind.Relative));
        var json = await response.Content.ReadAsStringAsync();
        var set = new JsonWebKeySet(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = Assert.Single(set.Keys);
        Assert.Equal("EC", key.Kty);
        Assert.Equal("P-256", key.Crv);
        Assert.Equal("ES256", key.Alg);
        Assert.Equal("sig", key.Use);
        Assert.Null(key.D);
        Assert.DoesNotContain("\"d\"", json, StringComparison.Ordinal);
        Assert.Equal(Base64UrlEncoder.Encode(key.ComputeJwkThumbprint()), key.Kid);
    }

    [Fact]
    public async Task The_development_key_survives_a_restart()
    {
        using var client = app.CreateClient();
        var first = new JsonWebKeySet(await client.GetStringAsync(new Uri("/api/.well-known/jwks.json", UriKind.Relative)));

        await using var restarted = app.WithWebHostBuilder(_ => { });
        using var again = restarted.CreateClient();
        var second = new JsonWebKeySet(await again.GetStringAsync(new Uri("/api/.well-known/jwks.json", UriKind.Relative)));

        Assert.Equal(first.Keys.Single().Kid, second.Keys.Single().Kid);
    }

    [Fact]
    public void Without_any_signing_key_configured_the_handler_refuses_to_start()
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            var settings = TestSettings.UnusedAzureSettings();
            settings.Remove("SigningKeys:LocalKeyFile");
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains("SigningKeys:KeyVaultUri", error.Message, StringComparison.Ordinal);
    }
}
