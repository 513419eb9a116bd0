namespace Enclave.Domain.Export;

/// <summary>The NDJSON files of export jobs: block blobs written in two moves, stage then commit.</summary>
public interface IExportFiles
{
    /// <summary>Stages <paramref name="lines"/> as block <paramref name="blockId"/> of the job's file (not yet part of it).</summary>
    Task StageAsync(string projectId, string jobId, string file, string blockId, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken);

    /// <summary>Makes the file exactly <paramref name="blockIds"/>, in order; committing the same list again changes nothing.</summary>
    Task CommitAsync(string projectId, string jobId, string file, IReadOnlyList<string> blockIds, CancellationToken cancellationToken);

    /// <summary>The committed file's SHA-256, lower-case hex, read back as a stream (a busy store is a <see cref="Fhir.StoreThrottledException"/>).</summary>
    Task<string> Sha256Async(string projectId, string jobId, string file, CancellationToken cancellationToken);

    /// <summary>The file as a seekable stream (for ranges), or null when the job has no such file.</summary>
    Task<Stream?> OpenReadAsync(string projectId, string jobId, string file, CancellationToken cancellationToken);

    /// <summary>Deletes every file of the job.</summary>
    Task DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken);

    /// <summary>Deletes every file of every job of <paramref name="projectId"/> (the project is being deleted).</summary>
    Task DeleteProjectAsync(string projectId, CancellationToken cancellationToken);
}
