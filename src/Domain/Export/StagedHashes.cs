using System.Security.Cryptography;

namespace Enclave.Domain.Export;

/// <summary>
/// The SHA-256 of each file one delivery staged from its first block, taken as the blocks are staged, so that
/// committing the file does not read it back. It answers only for a file whose recorded block list is exactly the
/// blocks it hashed, in order; a file begun by an earlier delivery is read back instead (its hash state did not survive
/// that delivery).
/// </summary>
internal sealed class StagedHashes : IDisposable
{
    private readonly Dictionary<string, (int Blocks, IncrementalHash Hash)> _files = new(StringComparer.Ordinal);

    /// <summary>The block <paramref name="bytes"/> was staged as block number <c>file.BlockIds.Count</c> of <paramref name="file"/> (as it was before the block).</summary>
    public void Staged(ExportFile file, ReadOnlySpan<byte> bytes)
    {
        if (file.BlockIds.Count == 0)
        {
            Forget(file.Name);
            _files[file.Name] = (0, IncrementalHash.CreateHash(HashAlgorithmName.SHA256));
        }
        else if (!_files.TryGetValue(file.Name, out var known) || known.Blocks != file.BlockIds.Count)
        {
            Forget(file.Name);
            return;
        }

        var (blocks, hash) = _files[file.Name];
        hash.AppendData(bytes);
        _files[file.Name] = (blocks + 1, hash);
    }

    /// <summary>The hex SHA-256 of <paramref name="file"/>'s final list, or null when this delivery did not stage every block of it.</summary>
    public string? Of(ExportFile file)
    {
        if (!_files.TryGetValue(file.Name, out var known) || known.Blocks != file.BlockIds.Count)
        {
            return null;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        known.Hash.GetCurrentHash(digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, hash) in _files.Values)
        {
            hash.Dispose();
        }

        _files.Clear();
    }

    private void Forget(string file)
    {
        if (_files.Remove(file, out var known))
        {
            known.Hash.Dispose();
        }
    }
}
