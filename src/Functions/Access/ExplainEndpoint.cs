using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Access;

/// <summary>
/// <c>POST /api/fhir/R4/ProjectMembership/{id}/$explain</c> (project admins): what the membership's access policy
/// says about one interaction — on a stored resource (<c>reference</c>), a candidate resource (<c>resource</c>), both
/// (an update), or a whole type (<c>resourceType</c>; for <c>search</c>, the filter pushed into the query). Answers a
/// Parameters resource: <c>allowed</c>, <c>reason</c>, <c>decidedBy</c>, every <c>hiddenField</c> and
/// <c>readonlyField</c>, one <c>rule</c> per rule with its verdict, and what was <c>dropped</c> from the policy.
/// </summary>
public static class ExplainEndpoint
{
    private static readonly HashSet<string> s_once = new(StringComparer.Ordinal) { "interaction", "reference", "resource", "resourceType" };

    /// <summary>Maps the route.</summary>
    public static void MapExplainEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost($"{MetadataEndpoint.FhirBase}/ProjectMembership/{{id}}/$explain",
            async (string id, HttpContext http, ITenancyStore tenancy, IResourceStore store, CallerResolver callers, TimeProvider time) =>
            {
                var caller = http.Caller();
                if (!caller.Membership.Admin)
                {
                    return FhirJson.Outcome(OperationOutcome.IssueType.Forbidden, "Only project admins ask what a membership may do.", StatusCodes.Status403Forbidden);
                }

                if (await tenancy.GetMembershipAsync(caller.ProjectId, id, http.RequestAborted) is not { } membership)
                {
                    return FhirJson.Outcome(OperationOutcome.IssueType.NotFound, $"ProjectMembership/{id} is not known.", StatusCodes.Status404NotFound);
                }

                var (body, refusal) = await FhirResourceEndpoints.ReadResourceAsync(http, nameof(Parameters));
                if (refusal is not null)
                {
                    return refusal;
                }

                var parameters = (Parameters)body!;
                if (OperationParameters.Problem(parameters, s_once, new HashSet<string>()) is { } problem)
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
                    stored = OperationParameters.IsReference(reference) ? await store.For(ProjectScope.Of(caller.ProjectId)).ReadAsync(parts[0], parts[1], http.RequestAborted) : null;
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

                var policy = await callers.PolicyAsync(membership, http.RequestAborted);
                var explanation = AccessExplanation.For(policy, interaction, type, before, stored?.LastUpdated ?? default, after, time.GetUtcNow());
                return FhirJson.Write(Answer(explanation), FhirResourceEndpoints.Format(http));
            });

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

    private static IResult Invalid(string message) => FhirJson.Outcome(OperationOutcome.IssueType.Invalid, message, StatusCodes.Status400BadRequest);
}
