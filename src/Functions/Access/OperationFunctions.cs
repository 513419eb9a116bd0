using Enclave.Domain.Access;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Access;

/// <summary>
/// The operations, for project admins: <c>$explain</c> (what a membership may do), <c>$set-accounts</c> (a patient's
/// accounts, propagated to every resource about the patient) and <c>$rotate-secret</c> (a client's new secret).
/// </summary>
public sealed class OperationFunctions(FhirRepository repository, ITenancyStore tenancy, CallerResolver callers, TimeProvider time, IOptions<AuthOptions> options)
{
    private static readonly HashSet<string> s_setAccountsOnce = new(StringComparer.Ordinal) { "propagate" };
    private static readonly HashSet<string> s_setAccountsRepeatable = new(StringComparer.Ordinal) { "accounts" };
    private static readonly HashSet<string> s_explainOnce = new(StringComparer.Ordinal) { "interaction", "reference", "resource", "resourceType" };

    /// <summary>
    /// <c>POST fhir/R4/ProjectMembership/{id}/$explain</c>: what the membership's access policy says about one
    /// interaction — on a stored resource the caller can read (<c>reference</c>), a candidate resource
    /// (<c>resource</c>), both (an update), or a whole type (<c>resourceType</c>; for <c>search</c>, the filter pushed
    /// into the query). Answers a Parameters resource: <c>allowed</c>, <c>reason</c>, <c>decidedBy</c>, every
    /// <c>hiddenField</c> and <c>readonlyField</c>, one <c>rule</c> per rule with its verdict, and what was
    /// <c>dropped</c> from the policy.
    /// </summary>
    [Function("Explain")]
    [Audited("operation", "E")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins ask what a membership may do.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ExplainAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/ProjectMembership/{id}/$explain")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var caller = http.Caller();
        if (await tenancy.GetMembershipAsync(caller.ProjectId, id, cancellationToken) is not { } membership)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"ProjectMembership/{id} is not known.");
        }

        var (body, refusal) = await FhirHttp.ReadResourceAsync(http, nameof(Parameters));
        if (refusal is not null)
        {
            return refusal;
        }

        var parameters = (Parameters)body!;
        if (OperationParameters.Problem(parameters, s_explainOnce, new HashSet<string>()) is { } problem)
        {
            return Invalid(problem);
        }

        var interaction = parameters.GetSingleValue<Code>("interaction")?.Value ?? parameters.GetSingleValue<FhirString>("interaction")?.Value;
        if (interaction is null || !AccessPolicyValidator.Interactions.Contains(interaction))
        {
            return Invalid($"interaction is one of {string.Join(", ", AccessPolicyValidator.Interactions)}.");
        }

        StoredResource? stored = null;
        Resource? before = null;
        if ((parameters.GetSingleValue<FhirString>("reference")?.Value ?? parameters.GetSingleValue<ResourceReference>("reference")?.Reference) is { } reference)
        {
            var parts = reference.Split('/');
            stored = OperationParameters.IsReference(reference) && await repository.ReadAsync(parts[0], parts[1], cancellationToken) is { Status: StatusCodes.Status200OK } read
                ? read.Resource
                : null;
            if (stored is not { Deleted: false } || !ResourceParser.TryParse(stored.Json, out before, out _))
            {
                return Invalid($"reference '{reference}' is not a current resource of this project.");
            }
        }

        var after = parameters.Parameter.FirstOrDefault(p => p.Name == "resource")?.Resource;
        var type = after?.TypeName ?? before?.TypeName ?? parameters.GetSingleValue<Code>("resourceType")?.Value;
        if (type is null || (!Domain.Fhir.ResourceTypes.IsKnown(type) && !AccessPolicyValidator.AdminTypes.Contains(type)))
        {
            return Invalid("Give a reference, a resource, or a resourceType.");
        }

        var policy = await callers.PolicyAsync(membership, cancellationToken);
        var explanation = AccessExplanation.For(policy, interaction, type, before, stored?.LastUpdated ?? default, after, time.GetUtcNow());
        return FhirJson.Write(Answer(explanation), FhirHttp.Format(http));
    }

    /// <summary>
    /// <c>POST fhir/R4/Patient/{id}/$set-accounts</c>: sets the patient's accounts (<c>accounts</c>, valueReferences)
    /// and, unless <c>propagate</c> is false, re-propagates them to every resource in the patient's compartment.
    /// </summary>
    [Function("SetAccounts")]
    [Audited("operation", "U")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins set accounts.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> SetAccountsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/Patient/{id}/$set-accounts")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, refusal) = await FhirHttp.ReadResourceAsync(http, nameof(Parameters));
        if (refusal is not null)
        {
            return refusal;
        }

        var parameters = (Parameters)body!;
        if (OperationParameters.Problem(parameters, s_setAccountsOnce, s_setAccountsRepeatable) is { } problem)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, problem);
        }

        var accounts = parameters.Parameter.Where(p => p.Name == "accounts").Select(p => (p.Value as ResourceReference)?.Reference).ToList();
        if (accounts.FindIndex(a => !OperationParameters.IsReference(a)) is var malformed and >= 0)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, $"Each accounts parameter is a valueReference of the form Type/id with a FHIR id; accounts[{malformed}] ('{accounts[malformed]}') is not.");
        }

        if (parameters.Parameter.FirstOrDefault(p => p.Name == "propagate") is { } propagate && propagate.Value is not FhirBoolean { Value: not null })
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "propagate is a valueBoolean.");
        }

        var patient = await repository.ReadAsync(nameof(Patient), id, cancellationToken);
        if (patient.Status != StatusCodes.Status200OK)
        {
            return FhirHttp.Answer(http, patient);
        }

        // Every resource about the patient, collected before any is changed (a change moves it in the search order).
        var about = new List<StoredResource> { patient.Resource! };
        if (parameters.GetSingleValue<FhirBoolean>("propagate")?.Value != false)
        {
            var compartment = new SearchRequest(string.Empty, [new SearchCriterion("_compartment", SearchParamType.Reference, null, [$"Patient/{id}"])], 1000, []);
            string? page = null;
            do
            {
                var (found, _) = await repository.SearchAsync(compartment, page, cancellationToken);
                about.AddRange(found!.Matches.Where(r => r.Reference != $"Patient/{id}"));
                page = found.Next;
            }
            while (page is not null);
        }

        var updated = 0;
        var audit = http.RequestServices.GetService<InteractionAudit>();
        foreach (var stored in about)
        {
            // AuditEvents (written by clients before they were the server's alone) are not the patient's data to relabel.
            if (AccessPolicyValidator.AdminTypes.Contains(stored.ResourceType) || !ResourceParser.TryParse(stored.Json, out var resource, out _))
            {
                continue;
            }

            // Each update is an interaction of its own, with its own record (in its commit), as a batch entry is.
            Accounts.Set(resource!, accounts!);
            audit?.BeginEntry(AuditInteraction.Rest("update", "U"));
            var result = await repository.UpdateAsync(resource!, null, cancellationToken);
            audit?.EndEntry(result.Status, result.Outcome?.Issue.FirstOrDefault()?.Code?.GetLiteral());
            if (result.Status >= 300)
            {
                return FhirHttp.Answer(http, result);
            }

            updated += result.Resource?.VersionId != stored.VersionId ? 1 : 0;
        }

        var answer = new Parameters();
        answer.Add("resourcesUpdated", new Integer(updated));
        return FhirJson.Write(answer, FhirHttp.Format(http));
    }

    /// <summary>
    /// <c>POST fhir/R4/ClientApplication/{id}/$rotate-secret</c>: a new secret, shown once; the old one works until
    /// <c>previousSecretRetiresAt</c> (<c>Auth:SecretRetirementGrace</c>).
    /// </summary>
    [Function("RotateSecret")]
    [Audited("operation", "U")]
    [Requires(CallerRole.ProjectAdmin, TenancyResourceFunctions.AdminsOnly)]
    public async Task<IResult> RotateSecretAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/ClientApplication/{id}/$rotate-secret")] HttpRequest request, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var client = FhirId.IsValid(id) ? await tenancy.FindClientAsync(id, cancellationToken) : null;
        if (client is null || client.ProjectId != request.HttpContext.Caller().ProjectId)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"ClientApplication/{id} is not known.");
        }

        var secret = ClientSecrets.Generate();
        var retiresAt = time.GetUtcNow() + options.Value.SecretRetirementGrace;
        await tenancy.UpdateClientSecretAsync(client with
        {
            SecretHash = ClientSecrets.Hash(secret),
            PreviousSecretHash = client.SecretHash,
            PreviousSecretRetiresAt = retiresAt,
        }, cancellationToken);
        return Results.Json(new { resourceType = nameof(ClientApplication), id, name = client.Client.Name, secret, previousSecretRetiresAt = retiresAt },
            contentType: FhirJson.ContentType);
    }

    private static Parameters Answer(AccessExplanation explanation)
    {
        var answer = new Parameters();
        answer.Add("allowed", new FhirBoolean(explanation.Allowed));
        answer.Add("reason", new FhirString(explanation.Reason));
        if (explanation.DecidedBy is { } rule)
        {
            answer.Add("decidedBy", new FhirString(rule));
        }

        explanation.HiddenFields.ToList().ForEach(f => answer.Add("hiddenField", new FhirString(f)));
        explanation.ReadonlyFields.ToList().ForEach(f => answer.Add("readonlyField", new FhirString(f)));
        explanation.Filter.ToList().ForEach(f => answer.Add("filter", new FhirString(f)));
        foreach (var (source, verdict) in explanation.Rules)
        {
            answer.Add("rule", [Tuple.Create("source", (Base)new FhirString(source)), Tuple.Create("verdict", (Base)new FhirString(verdict))]);
        }

        explanation.Dropped.ToList().ForEach(d => answer.Add("dropped", new FhirString(d)));
        return answer;
    }

    private static IResult Invalid(string message) => ErrorMap.Answer(ErrorKind.Invalid, message);
}
