using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Audit;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Export;

/// <summary>
/// Bulk Data export (Bulk Data Access IG 2.0.0), system level: the kick-off <c>[base]/$export</c> (GET, or POST with
/// a <c>Parameters</c> body or the query string), the status <c>[base]/$export/{jobId}</c> (202 while running, the
/// manifest when done, DELETE to cancel) and the files <c>[base]/$export/{jobId}/{file}</c> (NDJSON, with ranges).
/// Only the kick-off's membership or a project admin sees a job; another project's job is not there.
/// </summary>
public sealed partial class ExportFunctions(IExportJobStore jobs, IExportFiles files, IExportScheduler queue, ExportStep step, FhirRepository repository,
    TimeProvider time, IOptions<ExportOptions> options)
{
    private const string KickoffRoute = "fhir/R4/$export";
    private const string NdjsonType = "application/fhir+ndjson";

    /// <summary>The <c>error[]</c> file's name (no type's file is named so: type names start with a capital).</summary>
    private const string ErrorFileName = "error.ndjson";

    /// <summary>What an export without <c>_type</c> covers: every resource type (those the caller may not search are passed over).</summary>
    internal static IReadOnlyList<string> AllTypes { get; } = [.. ModelInfo.SupportedResources.Order(StringComparer.Ordinal)];

    /// <summary><c>GET|POST fhir/R4/$export</c> with <c>Prefer: respond-async</c>: 202 and the job's status URL.</summary>
    [Function("ExportKickoff")]
    [Audited("operation", "E", Category = AuditCategory.Export)]
    [NegotiatesFhirFormat]
    public Task<IResult> KickoffAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = KickoffRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        KickoffAsync(request, ExportLevel.System, null, cancellationToken);

    /// <summary><c>GET|POST fhir/R4/Patient/$export</c>: the resources in patient compartments (those of <c>patient</c>, if given).</summary>
    [Function("ExportPatientKickoff")]
    [Audited("operation", "E", Category = AuditCategory.Export)]
    [NegotiatesFhirFormat]
    public Task<IResult> PatientKickoffAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "fhir/R4/Patient/$export")] HttpRequest request, CancellationToken cancellationToken) =>
        KickoffAsync(request, ExportLevel.Patient, null, cancellationToken);

    /// <summary>
    /// <c>GET|POST fhir/R4/Group/{id}/$export</c>: the compartments of the group's member patients. The caller must be
    /// able to read the group (404, 403 or 410 as read would answer); its members are those of the version read now.
    /// </summary>
    [Function("ExportGroupKickoff")]
    [Audited("operation", "E", Category = AuditCategory.Export)]
    [NegotiatesFhirFormat]
    public async Task<IResult> GroupKickoffAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "fhir/R4/Group/{id}/$export")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FhirHttp.UnknownId("Group", id) ?? await KickoffAsync(request, ExportLevel.Group, id, cancellationToken);
    }

    private async Task<IResult> KickoffAsync(HttpRequest request, ExportLevel level, string? groupId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var prefer = request.Headers["Prefer"].ToString();
        if (!prefer.Contains("respond-async", StringComparison.OrdinalIgnoreCase))
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "$export runs asynchronously: send Prefer: respond-async.");
        }

        var (parameters, unreadable) = await ParametersAsync(request);
        if (unreadable is not null)
        {
            return unreadable;
        }

        var (export, refusal) = ExportRequest.Parse(parameters!, prefer.Contains("handling=lenient", StringComparison.OrdinalIgnoreCase), level, groupId);
        if (refusal is not null)
        {
            return FhirJson.Write(refusal, FhirHttp.Format(http), StatusCodes.Status400BadRequest);
        }

        if (level == ExportLevel.Group)
        {
            var group = await repository.ReadAsync("Group", groupId!, cancellationToken);
            if (group.Status != StatusCodes.Status200OK)
            {
                return FhirHttp.Answer(http, group);
            }

            if (ExportScope.Parse(group.Resource!.Json) is not Group parsed)
            {
                return ErrorMap.Answer(ErrorKind.Unexpected, $"Group/{groupId} could not be read.");
            }

            var members = ExportScope.MemberIds(parsed).ToHashSet(StringComparer.Ordinal);
            if (export!.Patients.FirstOrDefault(p => !members.Contains(p)) is { } stranger)
            {
                return FhirJson.Write(FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, $"Patient/{stranger} in patient is not an active member of Group/{groupId}.", "patient"),
                    FhirHttp.Format(http), StatusCodes.Status400BadRequest);
            }

            export = export with { GroupVersion = group.Resource.VersionId };
        }

        if (level == ExportLevel.Patient && await UnknownPatientAsync(export!.Patients, cancellationToken) is { } unknown)
        {
            return FhirJson.Write(FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, $"Patient/{unknown} in patient is not known.", "patient"),
                FhirHttp.Format(http), StatusCodes.Status400BadRequest);
        }

        return await StartAsync(request, export!, cancellationToken);
    }

    /// <summary>
    /// Starts the caller's job of <paramref name="export"/>: the job a retried kick-off started, else 429 when the project
    /// runs as many as it may, else a new job on the work queue (202 with its status URL).
    /// </summary>
    private async Task<IResult> StartAsync(HttpRequest request, ExportRequest export, CancellationToken cancellationToken)
    {
        var http = request.HttpContext;
        var caller = http.Caller();
        var key = KickoffKey(caller.Membership.Id, export);
        var running = await jobs.RunningAsync(caller.ProjectId, cancellationToken);
        if (running.FirstOrDefault(j => j.KickoffKey == key) is { } same)
        {
            return Accepted(http, same); // a retried kick-off (Medplum's client retries POSTs) gets the job it started
        }

        var most = http.RequestServices.GetRequiredService<Metering.QuotaGate>().QuotasOf(caller).ConcurrentExports;
        if (running.Count >= most) // Export:MaxConcurrentJobsPerProject is at least 1, and a project may only lower it
        {
            http.Response.Headers.RetryAfter = "60";
            return ErrorMap.Answer(ErrorKind.RateLimited,
                $"quotaConcurrentExports: this project already runs {running.Count} exports, the most it may run at once; retry when one is done (see Retry-After).");
        }

        var job = ExportJob.Start(caller.ProjectId, caller.Membership.Id, key, $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}",
            export, AllTypes, time.GetUtcNow(), options.Value.Retention);
        await jobs.CreateAsync(job, cancellationToken);
        http.RequestServices.GetService<InteractionAudit>()?.Concerns(AuditEvents.ExportJob(job.Id));
        try
        {
            await queue.ScheduleAsync(new ExportJobMessage(job.ProjectId, job.Id), TimeSpan.Zero, cancellationToken);
        }
        catch
        {
            // A job nobody will run must not hold a slot, nor be handed to the client's retry as its own.
            await jobs.DeleteAsync(job.ProjectId, job.Id, CancellationToken.None);
            throw;
        }

        return Accepted(http, job);
    }

    /// <summary><c>GET fhir/R4/$export/{jobId}</c>: 202 with <c>X-Progress</c> while running, the manifest when done.</summary>
    [Function("ExportStatus")]
    [Audited("operation", "R", Category = AuditCategory.Export)]
    public async Task<IResult> StatusAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = KickoffRoute + "/{jobId}")] HttpRequest request, string jobId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (await VisibleJobAsync(http, jobId, cancellationToken) is not { } job)
        {
            return NotFound(jobId);
        }

        if (job.IsStalled(time.GetUtcNow(), step.Limits.Lease))
        {
            job = await RedriveAsync(job, cancellationToken);
        }

        switch (job.Status)
        {
            case ExportStatus.Running:
                var done = job.Types.Count(t => t.Done);
                http.Response.Headers["X-Progress"] = job.Current is { } current
                    ? string.Create(CultureInfo.InvariantCulture, $"{current.Type}{(current.Deleted ? " deletions" : string.Empty)} {current.Count:N0} written; {done} of {job.Types.Count} types done")
                    : "finishing";
                http.Response.Headers.RetryAfter = "2";
                return Results.StatusCode(StatusCodes.Status202Accepted);
            case ExportStatus.Failed:
                return ErrorMap.Answer(ErrorKind.Unexpected, job.Failure ?? "The export failed.");
            default:
                http.Response.Headers.CacheControl = "no-store";
                return Results.Json(Manifest(http, job), contentType: "application/json");
        }
    }

    /// <summary><c>DELETE fhir/R4/$export/{jobId}</c>: stops the job and removes its files; 202, then 404.</summary>
    [Function("ExportCancel")]
    [Audited("operation", "D", Category = AuditCategory.Export)]
    public async Task<IResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = KickoffRoute + "/{jobId}")] HttpRequest request, string jobId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await VisibleJobAsync(request.HttpContext, jobId, cancellationToken) is not { } job)
        {
            return NotFound(jobId);
        }

        await jobs.DeleteAsync(job.ProjectId, job.Id, cancellationToken);
        await files.DeleteAsync(job.ProjectId, job.Id, cancellationToken);
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    /// <summary><c>GET fhir/R4/$export/{jobId}/{file}</c>: a completed job's NDJSON file, streamed from Blob Storage (HTTP Range supported).</summary>
    [Function("ExportFile")]
    [Audited("operation", "R", Category = AuditCategory.Export)]
    public async Task<IResult> FileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = KickoffRoute + "/{jobId}/{file}")] HttpRequest request, string jobId, string file,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (file == ErrorFileName && await VisibleJobAsync(request.HttpContext, jobId, cancellationToken) is { Status: ExportStatus.Completed, Request.Ignored.Count: > 0 } failed)
        {
            return Results.Bytes(ErrorFile(failed), NdjsonType, enableRangeProcessing: true);
        }

        if (await VisibleJobAsync(request.HttpContext, jobId, cancellationToken) is not { Status: ExportStatus.Completed } job
            || !job.Types.Any(t => t.Files.Any(f => f.Count > 0 && f.Name == file))
            || await files.OpenReadAsync(job.ProjectId, job.Id, file, cancellationToken) is not { } content)
        {
            return NotFound($"{jobId}/{file}");
        }

        return Results.Stream(content, NdjsonType, enableRangeProcessing: true);
    }

    /// <summary>
    /// The first of <paramref name="patients"/> the caller cannot find (a search of 100 ids at a time), or null; none
    /// is checked when the caller may not search Patient at all (its export then holds only their other resources).
    /// </summary>
    private async Task<string?> UnknownPatientAsync(IReadOnlyList<string> patients, CancellationToken cancellationToken)
    {
        foreach (var chunk in patients.Chunk(100))
        {
            var (search, _) = SearchParser.Parse("Patient", [new("_id", string.Join(',', chunk)), new("_count", "100")], strict: true);
            var (page, refusal) = await repository.SearchAsync(search!, null, cancellationToken);
            if (refusal is not null)
            {
                return null;
            }

            var found = page!.Matches.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
            if (chunk.FirstOrDefault(id => !found.Contains(id)) is { } unknown)
            {
                return unknown;
            }
        }

        return null;
    }

    /// <summary>
    /// A job whose steps stopped (every message lost, or poisoned) is enqueued again, or failed once re-drives are spent
    /// (<see cref="ExportStep.RedriveAsync"/>), so that a poll never sees 202 forever. Steps are guarded by the job's
    /// version, so a re-drive of a job that was only slow costs one step that loses its race.
    /// </summary>
    private async Task<ExportJob> RedriveAsync(ExportJob job, CancellationToken cancellationToken)
    {
        if (await step.RedriveAsync(job.ProjectId, job.Id, cancellationToken))
        {
            await queue.ScheduleAsync(new ExportJobMessage(job.ProjectId, job.Id), TimeSpan.Zero, cancellationToken);
        }

        return (await jobs.ReadAsync(job.ProjectId, job.Id, cancellationToken))?.Job ?? job;
    }

    /// <summary>The job, if the caller's project has it and the caller started it or administers the project.</summary>
    private async Task<ExportJob?> VisibleJobAsync(HttpContext http, string jobId, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        if (jobId.Length != 32 || !jobId.All(Uri.IsHexDigit))
        {
            return null;
        }

        return await jobs.ReadAsync(caller.ProjectId, jobId, cancellationToken) is { } stored
            && (stored.Job.MembershipId == caller.Membership.Id || caller.Membership.Admin)
            && stored.Job.ExpiresAt > time.GetUtcNow()
            ? stored.Job
            : null;
    }

    private static object Manifest(HttpContext http, ExportJob job)
    {
        var status = $"{FhirHttp.BaseUrl(http)}/$export/{job.Id}";
        return new
        {
            transactionTime = ExportStep.Instant(job.TransactionTime),
            request = job.RequestUrl,
            requiresAccessToken = true,
            output = job.Types.Where(t => !t.Deleted).SelectMany(t => t.Files.Where(f => f.Count > 0).Select(f => new { type = t.Type, url = $"{status}/{f.Name}", count = f.Count, extension = FileFacts(f.Bytes, f.Sha256) })),
            deleted = job.Types.Where(t => t.Deleted).SelectMany(t => t.Files.Where(f => f.Count > 0).Select(f => new { type = "Bundle", url = $"{status}/{f.Name}", count = f.Count, extension = FileFacts(f.Bytes, f.Sha256) })),
            error = job.Request.Ignored.Count == 0 ? [] : new[] { ErrorEntry(status, ErrorFile(job)) },
        };
    }

    /// <summary>The manifest entry of the error file, whose bytes are built from the job on each request.</summary>
    private static object ErrorEntry(string status, byte[] file) => new
    {
        type = "OperationOutcome",
        url = $"{status}/{ErrorFileName}",
        count = file.AsSpan().Count((byte)'\n'),
        extension = FileFacts(file.Length, Convert.ToHexStringLower(SHA256.HashData(file))),
    };

    /// <summary>
    /// A file entry's <c>extension</c> (the Bulk Data IG reserves the name for a server's own facts as a JSON object):
    /// its size in bytes and its SHA-256, so that a client can check what it downloaded.
    /// </summary>
    private static Dictionary<string, object?> FileFacts(long bytes, string? sha256) => new()
    {
        ["size"] = bytes,
        ["sha256"] = sha256,
    };

    /// <summary>The warning that says what lenient handling ignored (<paramref name="what"/>: the parameter, then why).</summary>
    private static OperationOutcome.IssueComponent Ignored(string what) => new()
    {
        Severity = OperationOutcome.IssueSeverity.Warning,
        Code = OperationOutcome.IssueType.NotSupported,
        Diagnostics = $"{what}: not supported, ignored (Prefer: handling=lenient).",
        Expression = [what.Split(' ', ':')[0]],
    };

    /// <summary>The <c>error[]</c> file: one OperationOutcome line per parameter lenient handling ignored, as the IG asks.</summary>
    private static byte[] ErrorFile(ExportJob job) =>
        Encoding.UTF8.GetBytes(string.Concat(job.Request.Ignored.Select(what =>
            JsonSerializer.Serialize(new OperationOutcome { Issue = [Ignored(what)] }, FhirJson.Options) + "\n")));

    /// <summary>202 with the status URL in Content-Location and, for clients that cannot read that header, in the body.</summary>
    private static IResult Accepted(HttpContext http, ExportJob job)
    {
        var status = $"{FhirHttp.BaseUrl(http)}/$export/{job.Id}";
        http.Response.Headers.ContentLocation = status;
        var outcome = new OperationOutcome
        {
            Issue =
            [
                new OperationOutcome.IssueComponent
                {
                    Severity = OperationOutcome.IssueSeverity.Information,
                    Code = OperationOutcome.IssueType.Informational,
                    Diagnostics = status,
                },
                .. job.Request.Ignored.Select(Ignored),
            ],
        };
        return FhirJson.Write(outcome, FhirHttp.Format(http), StatusCodes.Status202Accepted);
    }

    /// <summary>The kick-off parameters: the query string, and on POST the values of a Parameters body (an empty body means the query alone).</summary>
    private static async Task<(List<KeyValuePair<string, string>>? Parameters, IResult? Refusal)> ParametersAsync(HttpRequest request)
    {
        var parameters = request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty))).ToList();
        if (!HttpMethods.IsPost(request.Method) || request.ContentLength is 0 || (request.ContentLength is null && string.IsNullOrEmpty(request.ContentType)))
        {
            return (parameters, null);
        }

        var (body, refusal) = await FhirHttp.ReadResourceAsync(request.HttpContext, nameof(Parameters));
        if (refusal is not null)
        {
            return (null, refusal);
        }

        foreach (var parameter in ((Parameters)body!).Parameter)
        {
            // patient's valueReference reaches the parser as its reference; any other non-primitive value by name alone,
            // which the parser refuses or, when lenient, ignores, as it does every parameter not run here.
            var value = parameter.Value switch
            {
                ResourceReference reference => reference.Reference,
                PrimitiveType primitive => primitive.ToString(),
                _ => null,
            };
            parameters.Add(new(parameter.Name ?? string.Empty, value ?? string.Empty));
        }

        return (parameters, null);
    }

    /// <summary>The kick-off's identity: the membership and everything it asked for (level, group and version, parameters).</summary>
    private static string KickoffKey(string membershipId, ExportRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(membershipId + "\n" + JsonSerializer.Serialize(request))));

    private static IResult NotFound(string what) => ErrorMap.Answer(ErrorKind.NotFound, $"No export {what} is known.");
}
