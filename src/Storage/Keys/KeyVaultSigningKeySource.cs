using Azure.Security.KeyVault.Secrets;

namespace Enclave.Storage.Keys;

/// <summary>
/// Signing keys kept as Key Vault secrets: every enabled, unexpired secret whose name starts with the prefix.
/// Rotation is adding a secret (it signs once it is the newest) and later disabling the old one.
/// </summary>
public sealed class KeyVaultSigningKeySource(SecretClient secrets, SigningKeyOptions options, TimeProvider time) : ISigningKeySource
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<SigningKeyMaterial>> LoadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = new List<SigningKeyMaterial>();
        await foreach (var properties in secrets.GetPropertiesOfSecretsAsync(cancellationToken))
        {
            if (!properties.Name.StartsWith(options.SecretPrefix, StringComparison.Ordinal)
                || properties.Enabled != true
                || properties.ExpiresOn <= now
                || properties.NotBefore > now)
            {
                continue;
            }

            KeyVaultSecret secret = await secrets.GetSecretAsync(properties.Name, cancellationToken: cancellationToken);
            keys.Add(new SigningKeyMaterial(properties.Name, secret.Value, properties.CreatedOn ?? now));
        }

        return keys.Count > 0
            ? keys
            : throw new InvalidOperationException(
                $"Key Vault {secrets.VaultUri} holds no enabled secret named {options.SecretPrefix}*: Enclave cannot sign tokens.");
    }
}
