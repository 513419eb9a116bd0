using Hl7.Fhir.Model;

namespace Enclave.Domain.Export;

/// <summary>
/// Where an <see cref="ExportStep"/> reads its pages from: a Bulk Data export's searches (<see cref="ExportScope"/>),
/// or a backup's reads of the stored versions (<see cref="Backup.BackupScope"/>). The step writes, rolls over and
/// commits the files the same way for both.
/// </summary>
public interface IExportPages
{
    /// <summary>The next page of <paramref name="current"/>, of at most <paramref name="count"/> resources.</summary>
    Task<ExportPage> NextAsync(ExportTypeProgress current, int count, CancellationToken cancellationToken);
}

/// <summary>One page: the lines to write, where the type is next, or why it cannot be read.</summary>
/// <param name="Lines">The lines, each one compact JSON value (no line break).</param>
/// <param name="Next">The type's progress after this page.</param>
/// <param name="Refusal">Why the type cannot be read (a type the caller may not search is passed over).</param>
public sealed record ExportPage(IReadOnlyList<ReadOnlyMemory<byte>> Lines, ExportTypeProgress Next, OperationOutcome? Refusal = null);
