using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>
/// One parameter of a search: the resource must match at least one of <see cref="Values"/> (comma = OR); the
/// criteria of a request all apply (repetition = AND).
/// </summary>
/// <param name="Code">The parameter code, e.g. <c>birthdate</c> or <c>_id</c>.</param>
/// <param name="Type">Its type.</param>
/// <param name="Modifier">The modifier after the colon (<c>exact</c>, <c>missing</c>, a resource type…), or null.</param>
/// <param name="Values">The comma-separated values, unescaped.</param>
public sealed record SearchCriterion(string Code, SearchParamType Type, string? Modifier, IReadOnlyList<string> Values)
{
    /// <summary>
    /// A chained search (<c>subject:Patient.name=x</c>: <see cref="Modifier"/> is the target type) or a reverse chain
    /// (<c>_has:Observation:patient:code=x</c>: <see cref="Code"/> is <c>_has</c>, <see cref="Modifier"/> is
    /// <c>Observation:patient</c>): the search the referenced or referring resources must match. Resolved into plain
    /// criteria before a query runs.
    /// </summary>
    public SearchRequest? Chain { get; init; }
}
