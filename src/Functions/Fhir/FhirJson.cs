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

    /// <summary>A result that serialises <paramref name="resource"/>, indented when the request asks <c>_pretty=true</c>.</summary>
    public static IResult Result(Resource resource, HttpRequest request, int statusCode = StatusCodes.Status200OK)
    {
        var pretty = string.Equals(request.Query["_pretty"], "true", StringComparison.OrdinalIgnoreCase);
        return Results.Json(resource, pretty ? s_pretty : Options, ContentType, statusCode);
    }
}
