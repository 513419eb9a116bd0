using Enclave.Domain.Audit;
using Enclave.Domain.Erasure;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Erasure;

/// <summary>
/// Erasure (GDPR art. 17): <c>POST /api/fhir/R4/{type}/{id}/$expunge</c> removes a resource and every version of it
/// for good, then takes its reference out of every audit record that named it — the records keep its hash, so the
/// chain still verifies — and the expunge's own record names it by its hash alone.
/// </summary>
public sealed class ExpungeFunctions(FhirRepository repository, IAuditTrail trail, IErasureJobs erasures, IExportScheduler work, TimeProvider time)
{
    private const string StatusRoute = "fhir/R4/$expunge-status/{jobId}";

    /// <summary><c>POST fhir/R4/{type}/{id}/$expunge</c>: a Parameters with <c>expunged</c> (documents removed) and <c>redacted</c> (audit records rewritten).</summary>
    [Function("Expunge")]
    [Audited("operation", "D")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins expunge resources.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ExpungeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/{type}/{id}/$expunge")] HttpRequest request, string type, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if ((FhirHttp.UnwritableType(type) ?? FhirHttp.InvalidId(id)) is { } refused)
        {
            return refused;
        }

        var reference = $"{type}/{id}";
        http.RequestServices.GetService<InteractionAudit>()?.Erases(reference);
        if (request.Query.Count > 0)
        {
            return type == nameof(Patient) && request.Query.Count == 1 && request.Query["everything"] == "true"
                ? await EraseCompartmentAsync(http, reference, cancellationToken)
                : ErrorMap.Answer(ErrorKind.Invalid, "$expunge takes no parameters but everything=true, on a Patient.");
        }

        var (result, removed) = await repository.ExpungeAsync(type, id, cancellationToken);
        if (result.Status >= StatusCodes.Status400BadRequest && result.Status != StatusCodes.Status404NotFound)
        {
            return FhirHttp.Answer(http, result);
        }

        // Also after a 404: an expunge interrupted between the two steps is finished by its retry.
        var redacted = await trail.For(http.Caller().ProjectId).RedactAsync(new HashSet<string>(StringComparer.Ordinal) { reference }, cancellationToken);
        if (removed == 0 && redacted == 0)
        {
            return FhirHttp.Answer(http, result);
        }

        var answer = new Parameters();
        answer.Add("expunged", new Integer(removed));
        answer.Add("redacted", new Integer(redacted));
        return FhirJson.Write(answer, FhirHttp.Format(http));
    }

    /// <summary>
    /// <c>GET fhir/R4/$expunge-status/{jobId}</c>: 202 with <c>X-Progress</c> while the compartment is being erased; 200 with
    /// a Parameters (<c>resources</c>, <c>documents</c>, <c>redacted</c>) when it is done; 500 with an OperationOutcome
    /// when it failed; 404 for a job that is not the caller's project's (or has expired, seven days after it ended).
    /// </summary>
    [Function("ExpungeStatus")]
    [Audited("operation", "R")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins expunge resources.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> StatusAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = StatusRoute)] HttpRequest request, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (!FhirId.IsValid(jobId) || await erasures.ReadAsync(http.Caller().ProjectId, jobId, cancellationToken) is not { } stored)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"Erasure job {jobId} is not known.");
        }

        var job = stored.Job;
        switch (job.Status)
        {
            case ErasureStatus.Running:
                http.Response.Headers["X-Progress"] = $"{job.Resources} resources erased";
                http.Response.Headers.RetryAfter = "1";
                return Results.StatusCode(StatusCodes.Status202Accepted);
            case ErasureStatus.Failed:
                return FhirJson.Write(FhirErrors.Outcome(OperationOutcome.IssueType.Exception, job.Failure ?? "The erasure failed."), FhirHttp.Format(http),
                    StatusCodes.Status500InternalServerError);
            default:
                var done = new Parameters();
                done.Add("resources", new Integer(job.Resources));
                done.Add("documents", new Integer(job.Documents));
                done.Add("redacted", new Integer(job.Redacted));
                return FhirJson.Write(done, FhirHttp.Format(http));
        }
    }

    /// <summary>Starts the erasure of <paramref name="patient"/>'s compartment as a job on the work queue: 202 with its status URL.</summary>
    private async Task<IResult> EraseCompartmentAsync(HttpContext http, string patient, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var job = new ErasureJob
        {
            Id = Guid.NewGuid().ToString("N"),
            ProjectId = caller.ProjectId,
            Patient = patient,
            MembershipId = caller.Membership.Id,
            CreatedAt = time.GetUtcNow(),
        };
        await erasures.CreateAsync(job, cancellationToken);
        await work.ScheduleAsync(new ExportJobMessage(job.ProjectId, job.Id, ErasureJob.MessageKind), TimeSpan.Zero, cancellationToken);
        http.Response.Headers.ContentLocation = $"{FhirHttp.BaseUrl(http)}/$expunge-status/{job.Id}";
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
