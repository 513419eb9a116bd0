namespace Enclave.Domain.Export;

/// <summary>The NDJSON files of export jobs.</summary>
public interface IExportFiles
{
    /// <summary>
    /// Makes block <paramref name="index"/> of the job's file <paramref name="file"/> hold <paramref name="lines"/>, and the
    /// file blocks 0…<paramref name="index"/>. Writing the same block again (a retried step) leaves the file as one write
    /// would: blocks have fixed ids, never appended twice.
    /// </summary>
    Task WriteBlockAsync(string projectId, string jobId, string file, int index, ReadOnlyMemory<byte> lines, CancellationToken cancellationToken);

    /// <summary>The file as a seekable stream (for ranges), or null when the job has no such file.</summary>
    Task<Stream?> OpenReadAsync(string projectId, string jobId, string file, CancellationToken cancellationToken);

    /// <summary>Deletes every file of the job.</summary>
    Task DeleteAsync(string projectId, string jobId, CancellationToken cancellationToken);
}
