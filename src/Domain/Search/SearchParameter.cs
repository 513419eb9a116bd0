using Hl7.Fhir.Model;

namespace Enclave.Domain.Search;

/// <summary>
/// One search parameter of one resource type: its code, its type, and its FHIRPath expression narrowed to that
/// type (R4 shares one expression across types, e.g. <c>AllergyIntolerance.code | Condition.code | …</c>).
/// </summary>
/// <param name="ResourceType">The resource type it applies to.</param>
/// <param name="Code">The name used in queries, e.g. <c>birthdate</c>.</param>
/// <param name="Type">The parameter type.</param>
/// <param name="Expression">The FHIRPath expression for this type (for a composite, of the elements its components are taken from).</param>
/// <param name="Targets">For references, the resource types it may point at.</param>
public sealed record SearchParameter(string ResourceType, string Code, SearchParamType Type, string Expression, IReadOnlyList<string> Targets)
{
    /// <summary>For a composite: each component's type and its expression relative to the composite's elements.</summary>
    public IReadOnlyList<(SearchParamType Type, string Expression)> Components { get; init; } = [];
}
