using Enclave.Functions.Fhir;
using Enclave.Storage.Tenancy;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Auth;

/// <summary>
/// Answers a <see cref="TenancyConflictException"/> (the store found the project, client, membership or index it
/// was to create already there) with 409 and an OperationOutcome instead of letting it become a 500. The
/// exception's text names store ids and stays out of the answer.
/// </summary>
public static class TenancyConflicts
{
    /// <summary>The endpoint filter.</summary>
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            return await next(context);
        }
        catch (TenancyConflictException)
        {
            return FhirJson.Outcome(OperationOutcome.IssueType.Conflict, "It already exists (created meanwhile by another request); retry.", StatusCodes.Status409Conflict);
        }
    }
}
