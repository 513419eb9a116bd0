namespace Enclave.Storage.Keys;

/// <summary>Reads the token signing keys from where they are kept.</summary>
public interface ISigningKeySource
{
    /// <summary>Every active key; at least one, or an exception that says why not.</summary>
    Task<IReadOnlyList<SigningKeyMaterial>> LoadAsync(CancellationToken cancellationToken);
}
