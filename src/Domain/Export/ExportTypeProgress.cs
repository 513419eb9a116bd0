namespace Enclave.Domain.Export;

/// <summary>How far one resource type of an export has been written.</summary>
/// <param name="Type">The resource type.</param>
/// <param name="Continuation">The store's continuation of the next page; null before the first page.</param>
/// <param name="Done">Whether every page has been written.</param>
/// <param name="Count">Resources written so far.</param>
/// <param name="Blocks">Blocks committed to the type's file so far (their ids follow from their positions).</param>
public sealed record ExportTypeProgress(string Type, string? Continuation, bool Done, long Count, int Blocks)
{
    /// <summary>The id of the block at <paramref name="index"/>: fixed length, as Blob Storage requires within one blob.</summary>
    public static string BlockId(int index) =>
        Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(index.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)));
}
