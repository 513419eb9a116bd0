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
    private readonly Dictionary<string, Hashed> _files = new(StringComparer.Ordinal);

    /// <summary>The block <paramref name="bytes"/> was staged as block number <c>file.BlockIds.Count</c> of <paramref name="file"/> (as it was before the block).</summary>
    public void Staged(ExportFile file, ReadOnlySpan<byte> bytes)
    {
        if (file.BlockIds.Count == 0)
        {
            // A delivery begins a file once (its job only moves forward); were it begun again, the new start counts.
            if (_files.Remove(file.Name, out var begun))
            {
                begun.Hash.Dispose();
            }

            _files[file.Name] = new Hashed();
        }

        if (_files.TryGetValue(file.Name, out var hashed) && hashed.Blocks == file.BlockIds.Count)
        {
            hashed.Hash.AppendData(bytes);
            hashed.Blocks++;
        }
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
        foreach (var hashed in _files.Values)
        {
            hashed.Hash.Dispose();
        }

        _files.Clear();
    }

    private sealed class Hashed
    {
        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public int Blocks { get; set; }
    }
}
