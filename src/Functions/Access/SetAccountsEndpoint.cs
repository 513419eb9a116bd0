using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Access;

/// <summary>
/// <c>POST /api/fhir/R4/Patient/{id}/$set-accounts</c> (project admins; Medplum's operation): makes the
/// <c>accounts</c> parameters (references) the patient's accounts and, unless <c>propagate</c> is false, the accounts
/// of every resource in the patient's compartment — each change a new version, so history shows who moved what.
/// Answers Parameters with <c>resourcesUpdated</c>.
/// </summary>
public static class SetAccountsEndpoint
{
    private static readonly HashSet<string> s_once = new(StringComparer.Ordinal) { "propagate" };
    private static readonly HashSet<string> s_repeatable = new(StringComparer.Ordinal) { "accounts" };

    /// <summary>Maps the route.</summary>
    public static void MapSetAccountsEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost($"{MetadataEndpoint.FhirBase}/Patient/{{id}}/$set-accounts", async (string id, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            if (!http.Caller().Membership.Admin)
            {
                return FhirJson.Outcome(OperationOutcome.IssueType.Forbidden, "Only project admins set accounts.", StatusCodes.Status403Forbidden);
            }

            var (body, refusal) = await FhirResourceEndpoints.ReadResourceAsync(http, nameof(Parameters));
            if (refusal is not null)
            {
                return refusal;
            }

            var parameters = (Parameters)body!;
            if (OperationParameters.Problem(parameters, s_once, s_repeatable) is { } problem)
            {
                return FhirJson.Outcome(OperationOutcome.IssueType.Invalid, problem, StatusCodes.Status400BadRequest);
            }

            var accounts = parameters.Parameter.Where(p => p.Name == "accounts").Select(p => (p.Value as ResourceReference)?.Reference).ToList();
            if (accounts.FindIndex(a => !OperationParameters.IsReference(a)) is var malformed and >= 0)
            {
                return FhirJson.Outcome(OperationOutcome.IssueType.Invalid,
                    $"Each accounts parameter is a valueReference of the form Type/id with a FHIR id; accounts[{malformed}] ('{accounts[malformed]}') is not.", StatusCodes.Status400BadRequest);
            }

            if (parameters.Parameter.FirstOrDefault(p => p.Name == "propagate") is { } propagate && propagate.Value is not FhirBoolean { Value: not null })
            {
                return FhirJson.Outcome(OperationOutcome.IssueType.Invalid, "propagate is a valueBoolean.", StatusCodes.Status400BadRequest);
            }

            var repository = FhirResourceEndpoints.Repository(http, store, time);
            var patient = await repository.ReadAsync(nameof(Patient), id, http.RequestAborted);
            if (patient.Status != StatusCodes.Status200OK)
            {
                return FhirResourceEndpoints.Answer(http, patient);
            }

            // Every resource about the patient, collected before any is changed (a change moves it in the search order).
            var about = new List<StoredResource> { patient.Resource! };
            if (parameters.GetSingleValue<FhirBoolean>("propagate")?.Value != false)
            {
                var request = new SearchRequest(string.Empty, [new SearchCriterion("_compartment", SearchParamType.Reference, null, [$"Patient/{id}"])], 1000, []);
                string? page = null;
                do
                {
                    var (found, _) = await repository.SearchAsync(request, page, http.RequestAborted);
                    about.AddRange(found!.Matches.Where(r => r.Reference != $"Patient/{id}"));
                    page = found.Next;
                }
                while (page is not null);
            }

            var updated = 0;
            foreach (var stored in about)
            {
                if (!ResourceParser.TryParse(stored.Json, out var resource, out _))
                {
                    continue;
                }

                Accounts.Set(resource!, accounts!);
                var result = await repository.UpdateAsync(resource!, null, http.RequestAborted);
                if (result.Status >= 300)
                {
                    return FhirResourceEndpoints.Answer(http, result);
                }

                updated += result.Resource?.VersionId != stored.VersionId ? 1 : 0;
            }

            var answer = new Parameters();
            answer.Add("resourcesUpdated", new Integer(updated));
            return FhirJson.Write(answer, FhirResourceEndpoints.Format(http));
        });
}
