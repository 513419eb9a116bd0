namespace Enclave.Domain.Fhir;

/// <summary>
/// A write worked out against the current version by <see cref="FhirRepository.PlanAsync"/>: a version to commit
/// (<see cref="FhirRepository.CommitAsync"/>), or an answer that needs no write — a refusal, or a no-op such as an
/// unchanged update or the delete of what is not there. Only the repository builds one, so nothing reaches a commit
/// without having passed the plan.
/// </summary>
public sealed class WritePlan
{
    internal WritePlan(ResourceWrite? write, FhirRepository.Result? answer) => (Write, Answer) = (write, answer);

    /// <summary>The answer when there is nothing to commit; null when the plan writes.</summary>
    public FhirRepository.Result? Answer { get; }

    /// <summary>Whether the write was refused (a 4xx answer).</summary>
    public bool Refused => Answer is { Status: >= 400 };

    internal ResourceWrite? Write { get; }
}
