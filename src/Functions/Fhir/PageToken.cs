using System.Security.Cryptography;
using System.Text;
using Enclave.Functions.Auth;
using Microsoft.IdentityModel.Tokens;

namespace Enclave.Functions.Fhir;

/// <summary>
/// The <c>_page</c> parameter of next links: the store's continuation and a 128-bit HMAC over it and what it is bound
/// to — the caller's project and the request it continues. A token that was altered, or used in another project or
/// with another query, does not verify (400). The key is derived from the token signing keys, so every instance
/// agrees and rotation retires old pages with the old key.
/// </summary>
public sealed class PageToken(SigningKeys keys)
{
    private const string Purpose = "enclave-page-token";

    /// <summary>A token for <paramref name="continuation"/> bound to <paramref name="binding"/>.</summary>
    public string Encode(string continuation, string binding)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return $"{Base64UrlEncoder.Encode(continuation)}.{Base64UrlEncoder.Encode(Mac(keys.DerivedSecrets(Purpose)[0], continuation, binding))}";
    }

    /// <summary>The continuation in <paramref name="token"/>, or null when it is malformed or not bound to <paramref name="binding"/>.</summary>
    public string? Decode(string token, string binding)
    {
        ArgumentNullException.ThrowIfNull(token);
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return null;
        }

        try
        {
            var continuation = Base64UrlEncoder.Decode(token[..dot]);
            var mac = Base64UrlEncoder.DecodeBytes(token[(dot + 1)..]);
            return keys.DerivedSecrets(Purpose).Any(secret => CryptographicOperations.FixedTimeEquals(mac, Mac(secret, continuation, binding))) ? continuation : null;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// What a page of <paramref name="path"/> with <paramref name="query"/> (all parameters but <c>_page</c>) is bound to:
    /// the caller's membership too, since what a search shows depends on its access policy.
    /// </summary>
    public static string Binding(Auth.Caller caller, string path, IEnumerable<KeyValuePair<string, string>> query) =>
        string.Join('\n', [caller.ProjectId, caller.Membership.Id, path, .. query.Where(p => p.Key != "_page").Select(p => $"{p.Key}={p.Value}")]);

    private static byte[] Mac(byte[] secret, string continuation, string binding) =>
        HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{binding}\n{continuation}"))[..16];
}
