using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;

namespace Enclave.Functions.Fhir;

/// <summary>
/// Content negotiation by <c>_format</c> (which wins) and <c>Accept</c>. Enclave serves FHIR JSON only, so a
/// request that asks for nothing else JSON can read gets 406 with an OperationOutcome rather than a format it
/// did not ask for.
/// </summary>
internal static class FhirFormat
{
    private static readonly string[] s_jsonFormats = ["json", "application/json", "application/fhir+json"];

    public static bool AcceptsJson(HttpRequest request, out IResult refusal)
    {
        refusal = Results.Empty;
        var format = request.Query["_format"].ToString();
        if (format.Length > 0)
        {
            var mediaType = format.Split(';')[0].Trim();
            if (s_jsonFormats.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
            {
                return true;
            }

            refusal = NotAcceptable($"_format '{format}' is not supported; use json or application/fhir+json.");
            return false;
        }

        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0 || accept.Any(AcceptsJson))
        {
            return true;
        }

        refusal = NotAcceptable("This server produces application/fhir+json only.");
        return false;
    }

    private static bool AcceptsJson(MediaTypeHeaderValue value) =>
        value.Quality is not 0 && (value.MatchesAllTypes
            || value.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase)
            || s_jsonFormats.Contains(value.MediaType.Value, StringComparer.OrdinalIgnoreCase));

    private static IResult NotAcceptable(string diagnostics) =>
        FhirJson.Outcome(OperationOutcome.IssueType.NotSupported, diagnostics, StatusCodes.Status406NotAcceptable);
}
