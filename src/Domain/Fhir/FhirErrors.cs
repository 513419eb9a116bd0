using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>OperationOutcomes for refused requests: one place that builds them.</summary>
public static class FhirErrors
{
    /// <summary>An outcome with one error issue, optionally naming the FHIRPath it is about.</summary>
    public static OperationOutcome Outcome(OperationOutcome.IssueType code, string diagnostics, string? expression = null) => new()
    {
        Issue =
        [
            new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Error,
                Code = code,
                Diagnostics = diagnostics,
                Expression = expression is null ? [] : [expression],
            },
        ],
    };
}
