using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Enclave.Domain.Export;

namespace Enclave.Storage.Export;

/// <summary>
/// Export files as block blobs <c>&lt;projectId&gt;/&lt;jobId&gt;/&lt;file&gt;</c> in the export container. A step stages
/// its block under a fixed id and commits the list of every block so far, so repeating a step rewrites the same
/// block and the same list: the file never holds a line twice.
/// </summary>
public sealed class BlobExportFiles(BlobContainerClient container) : IExportFiles
{
    /// <inheritdoc />
    public async Task WriteBlockAsync(string projectId, string jobId, string file, int index, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        var blob = container.GetBlockBlobClient(Name(projectId, jobId, file));
        using (var content = new MemoryStream(lines.ToArray(), writable: false))
        {
            await blob.StageBlockAsync(ExportTypeProgress.BlockId(index), content, cancellationToken: cancellationToken);
        }

        await blob.CommitBlockListAsync(Enumerable.Range(0, index + 1).Select(ExportTypeProgress.BlockId), cancellationToken: cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Stream?> OpenReadAsync(string projectId, string jobId, string file, CancellationToken cancellationToken)
    {
        try
        {
            return await container.GetBlobClient(Name(projectId, jobId, file)).OpenReadAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{projectId}/{jobId}/", cancellationToken))
        {
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
        }
    }

    private static string Name(string projectId, string jobId, string file) => $"{projectId}/{jobId}/{file}";
}
