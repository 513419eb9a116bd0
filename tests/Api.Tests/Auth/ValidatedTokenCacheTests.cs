using System.Globalization;
using System.Security.Claims;
using Enclave.Functions.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Enclave.Api.Tests.Auth;

/// <summary>The cache of validated tokens never outlives a token, nor its own time, and knows only exact tokens.</summary>
public sealed class ValidatedTokenCacheTests
{
    [Fact]
    public void A_token_is_remembered_until_its_expiry_or_the_cache_time_whichever_comes_first()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var cache = new ValidatedTokenCache(Options.Create(new AuthOptions { MembershipCacheDuration = TimeSpan.FromSeconds(30) }), clock);
        ClaimsPrincipal Expiring(TimeSpan after) => new(new ClaimsIdentity(
            [new Claim("exp", (clock.GetUtcNow() + after).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture))], "test"));

        cache.Remember("short", Expiring(TimeSpan.FromSeconds(10)));
        cache.Remember("long", Expiring(TimeSpan.FromHours(1)));
        cache.Remember("expired", Expiring(TimeSpan.FromSeconds(-1)));

        Assert.NotNull(cache.Find("short"));
        Assert.Null(cache.Find("shorT"));
        Assert.Null(cache.Find("expired"));
        clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Null(cache.Find("short"));
        Assert.NotNull(cache.Find("long"));
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(cache.Find("long"));
    }
}
