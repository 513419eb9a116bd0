using System.Globalization;
using System.Security.Cryptography;
using Enclave.Domain.Backup;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Export;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Lifecycle;

/// <summary>
/// Restoring a backup (<c>[base]/$backup</c>) into a project that holds no resource, and cloning a project (a backup
/// of every version, then its restore into a new project), for super admins: restores move data between projects,
/// which no project's own admin reaches. Both run as jobs on the work queue; <c>GET
/// admin/projects/{projectId}/$restore/{jobId}</c> says how far one got (docs/backup-and-restore.md).
/// </summary>
public sealed class RestoreFunctions(ITenancyStore tenancy, IResourceStore store, IExportJobStore backups, IRestoreJobs restores, IExportScheduler work,
    TimeProvider time, IOptions<ExportOptions> export)
{
    private const string Route = "admin/projects/{projectId}/$restore";
    private const string Only = "Only super admins restore and clone projects.";

    private sealed record RestoreRequest(string? Source, string? Backup, string? Ids);

    private sealed record CloneRequest(string? Name, string? Ids);

    /// <summary>
    /// <c>POST admin/projects/{projectId}/$restore</c> with <c>{"backup": jobId, "source"?: projectId, "ids"?: "keep"|"remap"}</c>:
    /// 202 with the restore's status URL. The backup may still be running (the restore waits for it). The project must
    /// hold no resource (409 otherwise); <c>source</c> defaults to the project itself and <c>ids</c> to keep.
    /// </summary>
    [Function("RestoreProject")]
    [Audited("operation", "C")]
    [Requires(CallerRole.SuperAdmin, Only)]
    public async Task<IResult> RestoreAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request, string projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (body, problem) = await RequestJson.ReadAsync<RestoreRequest>(request);
        if (problem is not null)
        {
            return problem;
        }

        if (Remap(body?.Ids, remapByDefault: false) is not { } remap)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "ids must be keep or remap.");
        }

        if (await TargetProblemAsync(projectId, cancellationToken) is { } refused)
        {
            return refused;
        }

        var source = body?.Source ?? projectId;
        if (!FhirId.IsValid(source))
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "source must be a project id.");
        }

        if (body?.Backup is not { Length: 32 } backupId || !backupId.All(Uri.IsHexDigit)
            || await backups.ReadAsync(source, backupId, cancellationToken) is not { Job: { Request.Level: ExportLevel.Backup, Status: not ExportStatus.Failed } backup }
            || backup.ExpiresAt <= time.GetUtcNow())
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"Project {source} has no backup {body?.Backup} that is running or complete.");
        }

        return await StartAsync(request.HttpContext, NewJob(projectId, source, backupId, remap), cancellationToken);
    }

    /// <summary>
    /// <c>POST admin/projects/{projectId}/$clone</c> with <c>{"name"?: …, "ids"?: "remap"|"keep"}</c>: a new project (its
    /// admin client's secret is in the answer, as when a project is created), a backup of every version of this one,
    /// and that backup's restore into the new project; 202 with the restore's status URL. Ids are remapped by default.
    /// </summary>
    [Function("CloneProject")]
    [Audited("operation", "C")]
    [Requires(CallerRole.SuperAdmin, Only)]
    public async Task<IResult> CloneAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/projects/{projectId}/$clone")] HttpRequest request, string projectId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<CloneRequest>(request);
        if (problem is not null)
        {
            return problem;
        }

        if (Remap(body?.Ids, remapByDefault: true) is not { } remap)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "ids must be keep or remap.");
        }

        if (await tenancy.GetProjectAsync(projectId, cancellationToken) is not { } source)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"Project {projectId} is not known.");
        }

        if (source.SuperAdmin)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "The system project cannot be cloned.");
        }

        var name = string.IsNullOrWhiteSpace(body?.Name) ? $"{source.Name} (clone)" : body.Name.Trim();
        var caller = http.Caller();
        var cloneId = Guid.NewGuid().ToString("N");
        var (client, secret, membership) = AdminFunctions.NewClient(cloneId, $"{name} admin client", null, admin: true);
        var clone = new Project { Id = cloneId, Name = name, Owner = caller.Membership.User };
        await tenancy.CreateProjectAsync(clone, client, membership, cancellationToken);

        var backup = ExportJob.Start(projectId, caller.Membership.Id, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}", ExportRequest.ForBackup(versions: true), ExportFunctions.AllTypes,
            time.GetUtcNow(), export.Value.Retention);
        await backups.CreateAsync(backup, cancellationToken);
        await work.ScheduleAsync(new ExportJobMessage(projectId, backup.Id), TimeSpan.Zero, cancellationToken);
        var accepted = await StartAsync(http, NewJob(cloneId, projectId, backup.Id, remap), cancellationToken);
        return Results.Json(new { project = clone, client = AdminFunctions.Shown(client, secret), membership, backup = backup.Id, status = http.Response.Headers.ContentLocation.ToString() },
            statusCode: accepted is IStatusCodeHttpResult { StatusCode: { } status } ? status : StatusCodes.Status202Accepted);
    }

    /// <summary><c>GET admin/projects/{projectId}/$restore/{jobId}</c>: 202 with <c>X-Progress</c> while it runs, 200 when complete, an OperationOutcome when it failed.</summary>
    [Function("RestoreStatus")]
    [Audited("read", "R")]
    [Requires(CallerRole.SuperAdmin, Only)]
    public async Task<IResult> StatusAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/{jobId}")] HttpRequest request, string projectId, string jobId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (jobId.Length != 32 || !jobId.All(Uri.IsHexDigit) || await restores.ReadAsync(projectId, jobId, cancellationToken) is not { Job: var job })
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"Project {projectId} has no restore {jobId}.");
        }

        var http = request.HttpContext;
        switch (job.Status)
        {
            case RestoreStatus.Running:
                http.Response.Headers["X-Progress"] = job.Files is null ? "waiting for the backup to complete"
                    : string.Create(CultureInfo.InvariantCulture, $"file {Math.Min(job.File + 1, job.Files.Count)} of {job.Files.Count}; {job.Restored:N0} versions restored");
                http.Response.Headers.RetryAfter = "2";
                return Results.StatusCode(StatusCodes.Status202Accepted);
            case RestoreStatus.Failed:
                return ErrorMap.Answer(ErrorKind.Unexpected, job.Failure ?? "The restore failed.");
            default:
                return Results.Json(new
                {
                    project = Reference.To(nameof(Project), job.ProjectId),
                    source = Reference.To(nameof(Project), job.SourceProjectId),
                    backup = job.BackupJobId,
                    ids = job.RemapIds ? "remap" : "keep",
                    restored = job.Restored,
                    tenancyRestored = job.TenancyRestored,
                    tenancySkipped = job.TenancySkipped,
                    complete = true,
                });
        }
    }

    /// <summary>Why <paramref name="projectId"/> cannot be restored into: unknown, the system project, or holding resources.</summary>
    private async Task<IResult?> TargetProblemAsync(string projectId, CancellationToken cancellationToken)
    {
        if (await tenancy.GetProjectAsync(projectId, cancellationToken) is not { } target)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"Project {projectId} is not known.");
        }

        if (target.SuperAdmin)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "Nothing is restored into the system project.");
        }

        return await store.For(ProjectScope.Of(projectId)).AnyAsync(cancellationToken)
            ? ErrorMap.Answer(ErrorKind.Conflict, $"Project {projectId} already holds resources: a backup restores only into a new or empty project.")
            : null;
    }

    private RestoreJob NewJob(string projectId, string source, string backupId, bool remap) => new()
    {
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        ProjectId = projectId,
        SourceProjectId = source,
        BackupJobId = backupId,
        RemapIds = remap,
        CreatedAt = time.GetUtcNow(),
    };

    private async Task<IResult> StartAsync(HttpContext http, RestoreJob job, CancellationToken cancellationToken)
    {
        if (!await restores.CreateAsync(job, cancellationToken))
        {
            return ErrorMap.Answer(ErrorKind.Conflict, $"Project {job.ProjectId} was restored into before: a backup restores only into a new or empty project.");
        }

        await work.ScheduleAsync(new ExportJobMessage(job.ProjectId, job.Id, RestoreJob.MessageKind), TimeSpan.Zero, cancellationToken);
        http.Response.Headers.ContentLocation = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/api/admin/projects/{job.ProjectId}/$restore/{job.Id}";
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    private static bool? Remap(string? ids, bool remapByDefault) => ids switch
    {
        null => remapByDefault,
        "remap" => true,
        "keep" => false,
        _ => null,
    };
}
