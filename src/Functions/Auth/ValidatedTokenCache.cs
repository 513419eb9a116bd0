using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Remembers access tokens that passed full validation (signature, issuer, audience, lifetime) for
/// <see cref="AuthOptions.MembershipCacheDuration"/>, never past their expiry, so a client that sends the same token
/// again skips the ES256 signature check — the largest CPU cost of an authenticated request (bench/RESULTS.md).
/// Tokens are kept by their SHA-256 only. The membership behind a token is still resolved on every request.
/// A token signed with a key that was removed keeps working here until its entry expires.
/// </summary>
public sealed class ValidatedTokenCache(IOptions<AuthOptions> options, TimeProvider time) : IDisposable
{
    private const int MaxEntries = 100_000;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = MaxEntries });

    /// <summary>The principal of <paramref name="token"/> if it was validated recently and has not expired.</summary>
    public ClaimsPrincipal? Find(string token)
    {
        var now = time.GetUtcNow();
        return _cache.TryGetValue(Key(token), out (ClaimsPrincipal Principal, DateTimeOffset Until) entry) && entry.Until > now ? entry.Principal : null;
    }

    /// <summary>Remembers a token that has just passed validation.</summary>
    public void Remember(string token, ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var now = time.GetUtcNow();
        var until = now + options.Value.MembershipCacheDuration;
        if (long.TryParse(principal.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var exp))
        {
            until = DateTimeOffset.FromUnixTimeSeconds(exp) < until ? DateTimeOffset.FromUnixTimeSeconds(exp) : until;
        }

        if (until > now)
        {
            _cache.Set(Key(token), (principal, until), new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = until - now });
        }
    }

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();

    private static string Key(string token)
    {
        // Tokens are ASCII (base64url and dots); the edge bounds header sizes, so the bytes fit on the stack.
        var length = Encoding.UTF8.GetByteCount(token);
        var bytes = length <= 8192 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(token, bytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return Convert.ToBase64String(hash);
    }
}
