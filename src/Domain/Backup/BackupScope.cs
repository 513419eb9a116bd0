using System.Text.Json;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;

namespace Enclave.Domain.Backup;

/// <summary>
/// The pages of a backup (an export job at <see cref="ExportLevel.Backup"/>): of each resource type the versions that
/// were current at T (deletions left out), or with <see cref="ExportRequest.Versions"/> every version written at or
/// before T, deletions included, each as a <see cref="BackupLine"/>; then the project's tenancy resources as stored
/// (<see cref="TenancyType"/>: the project, its memberships, client applications and access policies; not users, which live outside it — secrets are
/// stored beside those resources, never in them, so none is written). The backup reads the stored versions directly:
/// it is a project admin's, and holds every resource whatever a policy would hide.
/// </summary>
/// <param name="job">The backup job.</param>
/// <param name="resources">The project's resources (its own, no linked project).</param>
/// <param name="tenancy">The tenancy store.</param>
public sealed class BackupScope(ExportJob job, IProjectResources resources, ITenancyStore tenancy) : IExportPages
{
    /// <summary>The last "type" of a backup: its tenancy resources, in files <c>tenancy.ndjson</c> (no resource type is lower case).</summary>
    public const string TenancyType = "tenancy";

    /// <summary>Whether <paramref name="file"/> is one of a backup's tenancy files.</summary>
    public static bool IsTenancyFile(string file) => file.StartsWith(TenancyType, StringComparison.Ordinal);

    /// <inheritdoc />
    public async Task<ExportPage> NextAsync(ExportTypeProgress current, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        IReadOnlyList<ReadOnlyMemory<byte>> lines;
        string? next;
        if (current.Type == TenancyType)
        {
            var (stored, page) = await tenancy.PageAsync(job.ProjectId, count, current.Continuation, cancellationToken);
            (lines, next) = ([.. stored.Select(r => (ReadOnlyMemory<byte>)JsonSerializer.SerializeToUtf8Bytes(r))], page);
        }
        else
        {
            var (versions, page) = await resources.VersionsAsync(current.Type, job.TransactionTime, currentOnly: !job.Request.Versions, count, current.Continuation, cancellationToken);
            (lines, next) = ([.. versions.Select(v => (ReadOnlyMemory<byte>)BackupLine.Write(v, job.TransactionTime))], page);
        }

        return new ExportPage(lines, next is null ? current with { Continuation = null, Done = true } : current with { Continuation = next });
    }
}
