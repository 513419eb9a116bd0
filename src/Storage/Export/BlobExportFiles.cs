using System.Security.Cryptography;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;

namespace Enclave.Storage.Export;

/// <summary>
/// Export files as block blobs <c>&lt;projectId&gt;/&lt;jobId&gt;/&lt;file&gt;</c> in the export container. A staged block is
/// not part of the file until a commit names it; <see cref="ExportStep"/> commits only block lists it has recorded.
/// Every block is sent with a transactional checksum (Content-MD5), so the service refuses a block whose bytes
/// changed on the way: it is never staged, so no commit can take it into a file.
/// </summary>
public sealed class BlobExportFiles(BlobContainerClient container) : IExportFiles
{
    /// <summary>
    /// Content-MD5 on each staged block, which the service compares as it receives the block. Not the storage CRC-64:
    /// from 12.28 the SDK sends that as a structured-message body, which Azurite does not understand. FIPS mode does not
    /// take MD5 away: .NET on Linux loads it outside OpenSSL's FIPS provider for this very use (dotnet/runtime#94934).
    /// </summary>
    private static readonly BlockBlobStageBlockOptions s_stage = new() { TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 } };

    /// <inheritdoc />
    public async Task StageAsync(string projectId, string jobId, string file, string blockId, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken)
    {
        Metering.StoreMeter.Exported(lines.Length);
        using var content = BinaryData.FromBytes(lines).ToStream();
        try
        {
            await container.GetBlockBlobClient(Name(projectId, jobId, file)).StageBlockAsync(blockId, content, s_stage, cancellationToken);
        }
        catch (RequestFailedException e) when (IsTransient(e))
        {
            throw new StoreThrottledException("stage an export block", null, unavailable: true, e);
        }
    }

    /// <inheritdoc />
    public async Task CommitAsync(string projectId, string jobId, string file, IReadOnlyList<string> blockIds, CancellationToken cancellationToken)
    {
        try
        {
            await container.GetBlockBlobClient(Name(projectId, jobId, file)).CommitBlockListAsync(blockIds, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (IsTransient(e))
        {
            throw new StoreThrottledException("commit an export file", null, unavailable: true, e);
        }
    }

    /// <inheritdoc />
    public async Task<string> Sha256Async(string projectId, string jobId, string file, CancellationToken cancellationToken)
    {
        try
        {
            // A duplicate delivery may commit the same final list again, which changes the ETag but not a byte: the
            // read must not be pinned to the ETag it started with.
            await using var content = await container.GetBlobClient(Name(projectId, jobId, file)).OpenReadAsync(new BlobOpenReadOptions(allowModifications: true), cancellationToken);
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken));
        }
        catch (RequestFailedException e) when (IsTransient(e))
        {
            throw new StoreThrottledException("read an export file back for its hash", null, unavailable: true, e);
        }
    }

    /// <summary>
    /// A failure worth trying again later (once the SDK's own retries are spent): the service busy or briefly failing
    /// (500, 503), throttling (429) or a timeout (408).
    /// </summary>
    private static bool IsTransient(RequestFailedException e) => e.Status is 408 or 429 or 500 or 502 or 503 or 504;

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

    /// <inheritdoc />
    public async Task DeleteProjectAsync(string projectId, CancellationToken cancellationToken)
    {
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{projectId}/", cancellationToken))
        {
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
        }
    }

    private static string Name(string projectId, string jobId, string file) => $"{projectId}/{jobId}/{file}";
}
