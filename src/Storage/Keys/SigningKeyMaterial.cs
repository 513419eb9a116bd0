using System.Security.Cryptography;

namespace Enclave.Storage.Keys;

/// <summary>A signing key as stored: an EC P-256 private key in PEM, with when it was created.</summary>
/// <param name="Name">Where it came from (a secret name or a file), for messages; never a secret.</param>
/// <param name="Pem">The PEM text of the private key.</param>
/// <param name="CreatedOn">When the key was created; the newest key signs, every key verifies.</param>
public sealed record SigningKeyMaterial(string Name, string Pem, DateTimeOffset CreatedOn)
{
    /// <summary>Imports the key, refusing anything but an EC P-256 private key.</summary>
    public ECDsa ToECDsa()
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(Pem);
            var parameters = key.ExportParameters(includePrivateParameters: true);
            if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value || parameters.D is null)
            {
                throw new InvalidOperationException($"Signing key {Name} is not an EC P-256 private key.");
            }

            return key;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new InvalidOperationException($"Signing key {Name} is not a PEM-encoded EC private key.", ex);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Generates a new EC P-256 key.</summary>
    public static SigningKeyMaterial Generate(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new SigningKeyMaterial(name, key.ExportPkcs8PrivateKeyPem(), now);
    }
}
