using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// What one write asks of one resource, before it is planned against the current version
/// (<see cref="FhirRepository.PlanAsync"/>).
/// </summary>
/// <param name="Kind">Which write.</param>
/// <param name="ResourceType">The resource's type.</param>
/// <param name="Id">The resource's id: for a create, the id the server chose.</param>
public sealed record WriteIntent(WriteKind Kind, string ResourceType, string Id)
{
    /// <summary>The resource to write (create and update).</summary>
    public Resource? Resource { get; init; }

    /// <summary>For a patch: turns the current JSON (as the caller sees it) into the patched resource, or an outcome saying why not.</summary>
    public Func<string, (Resource? Patched, OperationOutcome? Refusal)>? Patch { get; init; }

    /// <summary>The version the client pinned (<c>If-Match</c>, or a bundle entry's <c>ifMatch</c>), if any.</summary>
    public int? IfMatch { get; init; }
}
