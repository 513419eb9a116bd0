using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>
/// Rewrites chains and reverse chains into plain criteria, innermost first: <c>subject:Patient.name=x</c> becomes
/// <c>subject=Patient/1,Patient/2…</c> (the patients named x), <c>_has:Observation:patient:code=y</c> becomes
/// <c>_id=…</c> (the resources those observations point at). The same rewriting serves the Cosmos and the in-memory
/// evaluators; only the <c>select</c> function differs. More than <see cref="SearchRequest.MaxChainMatches"/>
/// resolved references is refused rather than truncated.
/// </summary>
public static class ChainResolver
{
    /// <summary>
    /// Resolves <paramref name="request"/>. <paramref name="select"/> answers, for a chain-free request and an optional
    /// reference parameter, the matches' <c>Type/id</c> (no parameter) or the references they hold in that parameter.
    /// </summary>
    public static async Task<(SearchRequest? Request, OperationOutcome? Refusal)> ResolveAsync(SearchRequest request,
        Func<SearchRequest, string?, int, Task<IReadOnlyList<string>>> select)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(select);
        if (request.Criteria.All(c => c.Chain is null))
        {
            return (request, null);
        }

        var criteria = new List<SearchCriterion>();
        foreach (var criterion in request.Criteria)
        {
            if (criterion.Chain is null)
            {
                criteria.Add(criterion);
                continue;
            }

            var (inner, refusal) = await ResolveAsync(criterion.Chain, select);
            if (refusal is not null)
            {
                return (null, refusal);
            }

            var back = criterion.Code == "_has" ? criterion.Modifier!.Split(':')[1] : null;
            var found = await select(inner!, back, SearchRequest.MaxChainMatches + 1);
            if (found.Count > SearchRequest.MaxChainMatches)
            {
                return (null, FhirErrors.Outcome(OperationOutcome.IssueType.TooCostly,
                    $"The chain '{criterion.Code}' matches more than {SearchRequest.MaxChainMatches} resources; narrow it."));
            }

            criteria.Add(back is null
                ? new SearchCriterion(criterion.Code, SearchParamType.Reference, null, [.. found])
                : new SearchCriterion("_id", SearchParamType.Token, null,
                    [.. found.Where(r => r.StartsWith(request.ResourceType + "/", StringComparison.Ordinal)).Select(r => r[(request.ResourceType.Length + 1)..])]));
        }

        return (request with { Criteria = criteria }, null);
    }
}
