using Enclave.Domain.Audit;
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
public sealed class ExpungeFunctions(FhirRepository repository, IAuditTrail trail)
{
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

        if (request.Query.Count > 0)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "$expunge of one resource takes no parameters.");
        }

        var reference = $"{type}/{id}";
        http.RequestServices.GetService<InteractionAudit>()?.Erases(reference);
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
}
