using System.Text;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace Enclave.Functions.Fhir;

/// <summary>
/// Writes FHIR answers with Firely's serializers: stored JSON is sent as it is when the client wants plain JSON;
/// XML, <c>_pretty</c>, <c>_summary</c> and <c>_elements</c> go through the POCO.
/// </summary>
internal static class FhirJson
{
    public const string ContentType = FhirFormat.JsonContentType;

    public static JsonSerializerOptions Options { get; } = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>
    /// Plain JSON answers: Firely's System.Text.Json converters (the fast path; the element-model serializer below
    /// handles XML, <c>_pretty</c> and subsets), escaping only what JSON requires, as the stored resources are.
    /// </summary>
    private static readonly JsonSerializerOptions s_answer =
        new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }.ForFhir(ModelInfo.ModelInspector);

    private static readonly BaseFhirJsonSerializer s_json = new(ModelInfo.ModelInspector);
    private static readonly BaseFhirXmlSerializer s_xml = new(ModelInfo.ModelInspector);
    private static readonly FhirFormat s_plain = new(false, false, SummaryType.False, []);

    /// <summary>An OperationOutcome with one error issue, as the answer to a refused request.</summary>
    public static IResult Outcome(OperationOutcome.IssueType code, string diagnostics, int statusCode) =>
        Write(FhirErrors.Outcome(code, diagnostics), s_plain, statusCode);

    /// <summary>
    /// Writes <paramref name="resource"/> in <paramref name="format"/>. A subset (<c>_summary</c>, <c>_elements</c>) carries the
    /// SUBSETTED tag on every resource it trims (a bundle's entries, not the bundle), and <c>_elements</c> always keeps
    /// <c>id</c>, <c>meta</c> and the mandatory elements (search.html §_elements).
    /// </summary>
    public static IResult Write(Resource resource, FhirFormat format, int statusCode = StatusCodes.Status200OK)
    {
        var subsetted = format.Summary != SummaryType.False || format.Elements.Length > 0;
        if (subsetted && resource is not OperationOutcome)
        {
            resource = (Resource)resource.DeepCopy();
            foreach (var trimmed in resource is Bundle bundle ? bundle.Entry.Select(e => e.Resource).OfType<Resource>() : [resource])
            {
                trimmed.Meta ??= new Meta();
                trimmed.Meta.Tag.Add(new Coding(ElementSubset.TagSystem, ElementSubset.TagCode));
            }
        }

        if (format.IsPlainJson)
        {
            return new Utf8Answer(JsonSerializer.SerializeToUtf8Bytes(resource, s_answer), format.ContentType, statusCode);
        }

        var elements = format.Elements.Length > 0 ? KeptElements(resource, format.Elements) : null;
        var text = format.Xml
            ? s_xml.SerializeToString(resource, format.Summary, elements, pretty: format.Pretty)
            : s_json.SerializeToString(resource, format.Summary, elements, pretty: format.Pretty);
        return Results.Text(text, format.ContentType, Encoding.UTF8, statusCode);
    }

    /// <summary>The elements asked for, plus <c>id</c>, <c>meta</c> and the mandatory elements of each resource type written.</summary>
    private static string[] KeptElements(Resource resource, string[] elements) =>
        ElementSubset.Kept(resource is Bundle bundle ? bundle.Entry.Select(e => e.Resource).OfType<Resource>().Select(r => r.GetType()).Distinct() : [resource.GetType()], elements);

    /// <summary>Writes UTF-8 JSON (a stored resource, a Bundle): its bytes as they are for plain JSON, else through the POCO.</summary>
    public static IResult Write(ReadOnlyMemory<byte> json, FhirFormat format, int statusCode = StatusCodes.Status200OK) =>
        format.IsPlainJson ? new Utf8Answer(json, format.ContentType, statusCode) : Write(Parsed(Encoding.UTF8.GetString(json.Span)), format, statusCode);

    private static Resource Parsed(string json) =>
        ResourceParser.TryParse(json, out var resource, out _) ? resource! : throw new InvalidOperationException("A stored resource no longer parses.");

    /// <summary>Bytes sent as they are, with their length: no text, no re-encoding.</summary>
    private sealed class Utf8Answer(ReadOnlyMemory<byte> body, string contentType, int statusCode) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => statusCode;

        public System.Threading.Tasks.Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var response = httpContext.Response;
            response.StatusCode = statusCode;
            response.ContentType = contentType;
            response.ContentLength = body.Length;
            return response.Body.WriteAsync(body).AsTask();
        }
    }
}
