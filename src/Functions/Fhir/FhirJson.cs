using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Enclave.Functions.Fhir;

/// <summary>Writes FHIR resources as <c>application/fhir+json</c> with Firely's System.Text.Json converters.</summary>
internal static class FhirJson
{
    public const string ContentType = "application/fhir+json; charset=utf-8";

    public static JsonSerializerOptions Options { get; } = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);
    private static readonly JsonSerializerOptions s_pretty = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).Pretty();

    /// <summary>An OperationOutcome with one error issue, as the answer to a refused request.</summary>
    public static IResult Outcome(OperationOutcome.IssueType code, string diagnostics, int statusCode) =>
        Results.Json(new OperationOutcome
        {
            Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Error, Code = code, Diagnostics = diagnostics }],
        }, Options, ContentType, statusCode);

    /// <summary>A result that serialises <paramref name="resource"/>, indented when the request asks <c>_pretty=true</c>.</summary>
    public static IResult Result(Resource resource, HttpRequest request, int statusCode = StatusCodes.Status200OK)
    {
        var pretty = string.Equals(request.Query["_pretty"], "true", StringComparison.OrdinalIgnoreCase);
        return Results.Json(resource, pretty ? s_pretty : Options, ContentType, statusCode);
    }
}
