using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Enclave.Domain.Export;

/// <summary>How far one resource type of an export has been written.</summary>
/// <param name="Type">The resource type.</param>
/// <param name="Continuation">The store's continuation of the next page; null before the first page.</param>
/// <param name="Done">Whether every page has been written.</param>
/// <param name="Count">Resources written so far, in all of the type's files.</param>
/// <param name="Files">The type's files, in order (<c>Type.ndjson</c>, <c>Type-2.ndjson</c>, …): the last one is being written.</param>
public sealed record ExportTypeProgress(string Type, string? Continuation, bool Done, long Count, IReadOnlyList<ExportFile> Files)
{
    /// <summary>
    /// Which of the type's searches <see cref="Continuation"/> belongs to: a type is written by one search per
    /// <c>_typeFilter</c> and member chunk (see <see cref="ExportScope"/>), run one after another.
    /// </summary>
    public int Search { get; init; }

    /// <summary>Whether this lists the type's deletions (with <c>_since</c>, for <c>deleted[]</c>) rather than its resources.</summary>
    public bool Deleted { get; init; }

    /// <summary>
    /// A new id for block <paramref name="index"/>: fixed length, as Blob Storage requires within one blob, and unique
    /// to this attempt, so a duplicate or stale delivery only ever stages a block nobody records, never overwrites one
    /// that is recorded.
    /// </summary>
    public static string NewBlockId(int index) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{index.ToString("D8", CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}"));

    /// <summary>
    /// The name of the type's file number <paramref name="number"/> (from 1): <c>Patient.ndjson</c>, <c>Patient-2.ndjson</c>,
    /// …; for its deletions (transaction Bundles) <c>Patient.deleted.ndjson</c>, <c>Patient.deleted-2.ndjson</c>, ….
    /// </summary>
    public static string FileName(string type, int number, bool deleted = false)
    {
        var stem = deleted ? $"{type}.deleted" : type;
        return number == 1 ? $"{stem}.ndjson" : string.Create(CultureInfo.InvariantCulture, $"{stem}-{number}.ndjson");
    }

    /// <summary>
    /// The files whose block lists are final but not yet committed: every file of a finished type, and every file but
    /// the last of one still being written (the step rolled over to a new one).
    /// </summary>
    public IEnumerable<ExportFile> Final => Files.Where((f, i) => !f.Committed && f.BlockIds.Count > 0 && (Done || i < Files.Count - 1));
}

/// <summary>One NDJSON file of an export: a block blob written block by block.</summary>
/// <param name="Name">The file's name within the job (<c>Patient-2.ndjson</c>).</param>
/// <param name="Count">Resources (lines) in it.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="BlockIds">Its blocks, in order, as recorded with the job: the file is exactly these. Emptied once it is committed.</param>
/// <param name="Committed">Whether the file has been committed as its final list (its blocks are no longer kept in the job).</param>
/// <param name="Sha256">The committed file's SHA-256, lower-case hex, for the manifest; null until it is committed.</param>
public sealed record ExportFile(string Name, long Count, long Bytes, IReadOnlyList<string> BlockIds, bool Committed = false, string? Sha256 = null);
