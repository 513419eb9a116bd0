using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Enclave.Domain.Export;

/// <summary>How far one resource type of an export has been written.</summary>
/// <param name="Type">The resource type.</param>
/// <param name="Continuation">The store's continuation of the next page; null before the first page.</param>
/// <param name="Done">Whether every page has been written.</param>
/// <param name="Count">Resources written so far.</param>
/// <param name="BlockIds">The blocks of the type's file, in order, as recorded with the job: the file is exactly these.</param>
public sealed record ExportTypeProgress(string Type, string? Continuation, bool Done, long Count, IReadOnlyList<string> BlockIds)
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
}
