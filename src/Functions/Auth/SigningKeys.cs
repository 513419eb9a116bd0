using System.Security.Cryptography;
using System.Text.Json;
using Enclave.Storage.Keys;
using Microsoft.IdentityModel.Tokens;

namespace Enclave.Functions.Auth;

/// <summary>
/// The token signing keys in use: the newest signs, all of them verify (so tokens signed before a rotation stay
/// valid until they expire). Each key's id is its RFC 7638 JWK thumbprint. Only public parts ever leave here.
/// </summary>
public sealed class SigningKeys
{
    private volatile KeySet? _keys;

    /// <summary>The key new tokens are signed with.</summary>
    public ECDsaSecurityKey Current => Keys.Signing;

    /// <summary>Every key a token may be verified with.</summary>
    public IReadOnlyList<ECDsaSecurityKey> All => Keys.All;

    /// <summary>The public keys as a JWK Set (<c>/api/.well-known/jwks.json</c>).</summary>
    public string JwksJson => Keys.Jwks;

    /// <summary>
    /// Secrets for <paramref name="purpose"/> derived (HKDF-SHA256) from every key's private half, newest first: the
    /// same on every instance, rotated with the keys, never the key itself.
    /// </summary>
    public IReadOnlyList<byte[]> DerivedSecrets(string purpose)
    {
        var keys = Keys;
        return keys.Secrets.GetOrAdd(purpose, p => [.. keys.All.Select(k =>
            HKDF.DeriveKey(HashAlgorithmName.SHA256, k.ECDsa.ExportParameters(includePrivateParameters: true).D!, 32, info: System.Text.Encoding.UTF8.GetBytes(p)))]);
    }

    private KeySet Keys => _keys ?? throw new InvalidOperationException("The signing keys are not loaded yet.");

    /// <summary>Replaces the key set with <paramref name="materials"/> (newest first by creation time signs).</summary>
    public void Replace(IReadOnlyList<SigningKeyMaterial> materials)
    {
        ArgumentNullException.ThrowIfNull(materials);
        if (materials.Count == 0)
        {
            throw new InvalidOperationException("There is no signing key.");
        }

        var keys = materials.OrderByDescending(m => m.CreatedOn).Select(ToSecurityKey).ToList();
        var jwks = JsonSerializer.Serialize(new { keys = keys.Select(PublicJwk) });
        _keys = new KeySet(keys[0], keys, jwks);
    }

    private static ECDsaSecurityKey ToSecurityKey(SigningKeyMaterial material)
    {
        var key = new ECDsaSecurityKey(material.ToECDsa());
        key.KeyId = Base64UrlEncoder.Encode(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(PublicOnly(key)).ComputeJwkThumbprint());
        return key;
    }

    private static ECDsaSecurityKey PublicOnly(ECDsaSecurityKey key) =>
        new(ECDsa.Create(key.ECDsa.ExportParameters(includePrivateParameters: false))) { KeyId = key.KeyId };

    private static object PublicJwk(ECDsaSecurityKey key)
    {
        var p = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return new
        {
            kty = "EC",
            use = "sig",
            alg = SecurityAlgorithms.EcdsaSha256,
            kid = key.KeyId,
            crv = "P-256",
            x = Base64UrlEncoder.Encode(p.Q.X),
            y = Base64UrlEncoder.Encode(p.Q.Y),
        };
    }

    private sealed record KeySet(ECDsaSecurityKey Signing, IReadOnlyList<ECDsaSecurityKey> All, string Jwks)
    {
        public System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<byte[]>> Secrets { get; } = new(StringComparer.Ordinal);
    }
}
