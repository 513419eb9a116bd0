using System.Security.Cryptography;
using Enclave.Storage.Keys;

namespace Enclave.Storage.Tests.Keys;

public sealed class SigningKeySourceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"enclave-keys-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Local_key_is_generated_once_readable_only_by_its_owner_and_reused()
    {
        var path = Path.Combine(_folder, "nested", "signing-key.pem");

        var first = await new LocalFileSigningKeySource(path, TimeProvider.System).LoadAsync(CancellationToken.None);
        var second = await new LocalFileSigningKeySource(path, TimeProvider.System).LoadAsync(CancellationToken.None);

        Assert.Equal(Assert.Single(first).Pem, Assert.Single(second).Pem);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var key = first[0].ToECDsa();
        Assert.Equal(256, key.KeySize);
    }

    [Fact]
    public void A_key_that_is_not_an_ec_p256_private_key_is_refused_with_its_name()
    {
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var publicOnly = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var candidates = new[]
        {
            new SigningKeyMaterial("garbage", "not a key", DateTimeOffset.UnixEpoch),
            new SigningKeyMaterial("rsa", rsa.ExportPkcs8PrivateKeyPem(), DateTimeOffset.UnixEpoch),
            new SigningKeyMaterial("p384", p384.ExportPkcs8PrivateKeyPem(), DateTimeOffset.UnixEpoch),
            new SigningKeyMaterial("public", publicOnly.ExportSubjectPublicKeyInfoPem(), DateTimeOffset.UnixEpoch),
        };
        publicOnly.Dispose();

        Assert.All(candidates, candidate =>
        {
            var error = Assert.Throws<InvalidOperationException>(() => candidate.ToECDsa());
            Assert.Contains(candidate.Name, error.Message, StringComparison.Ordinal);
        });
    }
}
