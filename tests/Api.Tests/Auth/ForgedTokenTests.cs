using System.Net;
using System.Security.Cryptography;
using Enclave.Functions.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Enclave.Api.Tests.Auth;

/// <summary>Every malformed or forged token gets 401 with WWW-Authenticate, on every authenticated route.</summary>
public sealed class ForgedTokenTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string AdminRoute = "/api/admin/projects";

    private async Task<string> ValidTokenAsync()
    {
        using var http = app.CreateClient();
        return await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
    }

    /// <summary>A token like a real one, with claims and signing changed by <paramref name="change"/>.</summary>
    private async Task<string> ForgeAsync(Action<SecurityTokenDescriptor> change)
    {
        var real = new JsonWebToken(await ValidTokenAsync());
        var keys = app.Services.GetRequiredService<SigningKeys>();
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = real.Issuer,
            Audience = real.Audiences.Single(),
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = real.Subject,
                ["project"] = real.GetClaim("project").Value,
                ["membership"] = real.GetClaim("membership").Value,
            },
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.EcdsaSha256),
        };
        change(descriptor);
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    private async Task AssertUnauthorizedAsync(string? token)
    {
        using var http = app.CreateClient();
        using var response = await AuthClient.PostAsync(http, AdminRoute, token, new { name = "x" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task The_genuine_token_is_accepted() // the control for every refusal below
    {
        using var http = app.CreateClient();
        using var response = await AuthClient.PostAsync(http, AdminRoute, await ForgeAsync(_ => { }), new { name = "control" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public Task No_token_is_refused() => AssertUnauthorizedAsync(null);

    [Fact]
    public Task Garbage_is_refused() => AssertUnauthorizedAsync("not.a.jwt");

    [Fact]
    public async Task An_unsigned_alg_none_token_is_refused()
    {
        var real = new JsonWebToken(await ValidTokenAsync());
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        await AssertUnauthorizedAsync($"{header}.{real.EncodedPayload}.");
    }

    [Fact]
    public async Task A_tampered_payload_is_refused()
    {
        var parts = (await ValidTokenAsync()).Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"system\"", "\"other\"", StringComparison.Ordinal);
        await AssertUnauthorizedAsync($"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}");
    }

    [Fact]
    public async Task An_expired_token_is_refused() => await AssertUnauthorizedAsync(await ForgeAsync(d =>
    {
        d.IssuedAt = d.NotBefore = DateTime.UtcNow.AddHours(-2);
        d.Expires = DateTime.UtcNow.AddHours(-1);
    }));

    [Fact]
    public async Task A_token_for_another_audience_is_refused() => await AssertUnauthorizedAsync(await ForgeAsync(d => d.Audience = "someone-else"));

    [Fact]
    public async Task A_token_from_another_issuer_is_refused() => await AssertUnauthorizedAsync(await ForgeAsync(d => d.Issuer = "https://evil.example"));

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await AssertUnauthorizedAsync(await ForgeAsync(d => d.SigningCredentials = new SigningCredentials(
            new ECDsaSecurityKey(other) { KeyId = app.Services.GetRequiredService<SigningKeys>().Current.KeyId }, SecurityAlgorithms.EcdsaSha256)));
    }

    [Fact]
    public async Task A_token_with_an_hmac_algorithm_is_refused()
    {
        var key = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));
        await AssertUnauthorizedAsync(await ForgeAsync(d => d.SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256)));
    }

    [Fact]
    public async Task A_token_for_a_membership_that_does_not_exist_is_refused() =>
        await AssertUnauthorizedAsync(await ForgeAsync(d => d.Claims["membership"] = Guid.NewGuid().ToString("N")));

    [Fact]
    public async Task A_token_naming_another_project_is_refused() =>
        await AssertUnauthorizedAsync(await ForgeAsync(d => d.Claims["project"] = Guid.NewGuid().ToString("N")));
}
