namespace Enclave.Storage.Keys;

/// <summary>
/// Development signing key: generated into a file readable only by its owner on first use, then reused so that
/// restarting the service keeps issued tokens valid. Never used when a Key Vault is configured.
/// </summary>
public sealed class LocalFileSigningKeySource(string path, TimeProvider time) : ISigningKeySource
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<SigningKeyMaterial>> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var generated = SigningKeyMaterial.Generate(path, time.GetUtcNow());
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                await using var file = new FileStream(path, options);
                await using var writer = new StreamWriter(file);
                await writer.WriteAsync(generated.Pem.AsMemory(), cancellationToken);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        var pem = await File.ReadAllTextAsync(path, cancellationToken);
        return [new SigningKeyMaterial(path, pem, File.GetCreationTimeUtc(path))];
    }
}
