namespace Enclave.Functions.Fhir;

/// <summary>Negotiates the answer format once per FHIR request: 406 (or 400 for a bad <c>_summary</c>) before any work is done.</summary>
internal static class FhirFormatFilter
{
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var (format, refusal) = FhirFormat.Negotiate(context.HttpContext.Request);
        if (refusal is not null)
        {
            return refusal;
        }

        context.HttpContext.Items[typeof(FhirFormat)] = format;
        return await next(context);
    }
}
