namespace Enclave.Storage.Keys;

/// <summary>Where the token signing keys come from (configuration section <c>SigningKeys</c>).</summary>
public sealed class SigningKeyOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "SigningKeys";

    /// <summary>
    /// The Key Vault holding the keys as secrets (PEM-encoded EC P-256 private keys), read with
    /// <c>DefaultAzureCredential</c>. Set in Azure; when it is set <see cref="LocalKeyFile"/> is ignored.
    /// </summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>Only enabled secrets whose name starts with this prefix are signing keys.</summary>
    public string SecretPrefix { get; set; } = "enclave-signing-key";

    /// <summary>
    /// Development: a file that holds a generated key, created on first start and reused afterwards so that
    /// restarts do not invalidate tokens. Relative paths are relative to the working directory.
    /// </summary>
    public string? LocalKeyFile { get; set; }

    /// <summary>How often keys are re-read, so a key added for rotation is picked up without a restart.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(10);
}
