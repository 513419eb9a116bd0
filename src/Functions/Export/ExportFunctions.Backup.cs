using Enclave.Domain.Export;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Export;

/// <summary>
/// The project backup: an export job at <see cref="ExportLevel.Backup"/>, so it runs, is polled, downloaded and
/// cancelled exactly as an export is (<c>[base]/$export/{jobId}</c>); its files are those a restore reads
/// (docs/backup-and-restore.md).
/// </summary>
public sealed partial class ExportFunctions
{
    /// <summary>
    /// <c>POST fhir/R4/$backup</c> with <c>Prefer: respond-async</c>, for project admins: 202 and the job's status URL.
    /// <c>?versions=all</c> keeps every version written up to T (deletions included); without it (or with
    /// <c>versions=current</c>) the versions current at T.
    /// </summary>
    [Function("BackupKickoff")]
    [Audited("operation", "E", Category = AuditCategory.Export)]
    [Requires(CallerRole.ProjectAdmin, "Only project admins back the project up.")]
    public async Task<IResult> BackupAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/$backup")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers["Prefer"].ToString().Contains("respond-async", StringComparison.OrdinalIgnoreCase))
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "$backup runs asynchronously: send Prefer: respond-async.");
        }

        if (request.Query.Keys.FirstOrDefault(k => k != "versions") is { } unknown)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, $"$backup takes only versions=all|current, not {unknown}.");
        }

        var versions = request.Query["versions"];
        if (versions.Count > 1 || versions.FirstOrDefault() is not (null or "all" or "current"))
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "versions must be all or current.");
        }

        return await StartAsync(request, ExportRequest.ForBackup(versions.FirstOrDefault() == "all"), cancellationToken);
    }
}
