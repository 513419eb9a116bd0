using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Net.Http.Headers;

namespace Enclave.Functions.Fhir;

/// <summary>
/// How a FHIR answer is written, from <c>_format</c> (which wins over <c>Accept</c>), <c>_pretty</c>,
/// <c>_summary</c> and <c>_elements</c>. A request that accepts neither JSON nor XML gets 406.
/// </summary>
/// <param name="Xml">Whether to write <c>application/fhir+xml</c> rather than JSON.</param>
/// <param name="Pretty">Whether to indent.</param>
/// <param name="Summary">The <c>_summary</c> asked for (<see cref="SummaryType.False"/> when none).</param>
/// <param name="Elements">The <c>_elements</c> asked for, or empty.</param>
internal sealed record FhirFormat(bool Xml, bool Pretty, SummaryType Summary, string[] Elements)
{
    public const string JsonContentType = "application/fhir+json; charset=utf-8";
    public const string XmlContentType = "application/fhir+xml; charset=utf-8";

    private static readonly string[] s_json = ["json", "application/json", "application/fhir+json"];
    private static readonly string[] s_xml = ["xml", "text/xml", "application/xml", "application/fhir+xml"];
    private static readonly string[] s_generic = ["application/json", "application/xml", "text/xml"];

    /// <summary>Plain JSON of the whole resource: the stored text can be sent as it is.</summary>
    public bool IsPlainJson => !Xml && !Pretty && Summary == SummaryType.False && Elements.Length == 0;

    /// <summary>
    /// A generic media type the client asked for (<c>application/json</c>, <c>application/xml</c>, <c>text/xml</c>), echoed
    /// in the answer as FHIR's http.html says servers SHOULD; null for the FHIR types.
    /// </summary>
    public string? GenericMediaType { get; init; }

    public string ContentType => GenericMediaType is { } generic ? $"{generic}; charset=utf-8" : Xml ? XmlContentType : JsonContentType;

    /// <summary>The format the request asks for, or the 406/400 answer when it asks for something Enclave cannot write.</summary>
    public static (FhirFormat? Format, IResult? Refusal) Negotiate(HttpRequest request)
    {
        var query = request.Query;
        bool? xml = null;
        string? generic = null;
        if (query["_format"].ToString() is { Length: > 0 } format)
        {
            var mediaType = format.Split(';')[0].Trim();
            xml = s_json.Contains(mediaType, StringComparer.OrdinalIgnoreCase) ? false
                : s_xml.Contains(mediaType, StringComparer.OrdinalIgnoreCase) ? true
                : null;
            if (xml is null)
            {
                return (null, NotAcceptable($"_format '{format}' is not supported; use json or xml."));
            }

            generic = Generic(mediaType);
        }
        else
        {
            var accept = request.GetTypedHeaders().Accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1).ToList();
            if (accept.Count == 0 || accept.Any(a => a.MatchesAllTypes || a.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase)))
            {
                xml = accept.Count > 0 && IsXml(accept[0]);
            }
            else if (accept.FirstOrDefault(a => IsXml(a) || IsJson(a)) is { } chosen)
            {
                xml = IsXml(chosen);
                generic = Generic(chosen.MediaType.Value!);
            }
            else
            {
                return (null, NotAcceptable("This server writes application/fhir+json and application/fhir+xml."));
            }
        }

        var summary = SummaryType.False;
        if (query["_summary"].ToString() is { Length: > 0 } summaryText)
        {
            summary = summaryText switch
            {
                "true" => SummaryType.True,
                "text" => SummaryType.Text,
                "data" => SummaryType.Data,
                "count" => SummaryType.Count,
                "false" => SummaryType.False,
                _ => (SummaryType)(-1),
            };
            if ((int)summary < 0)
            {
                return (null, ErrorMap.Answer(ErrorKind.Invalid, "_summary takes true, text, data, count or false."));
            }
        }

        var elements = query["_elements"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var pretty = string.Equals(query["_pretty"], "true", StringComparison.OrdinalIgnoreCase);
        return (new FhirFormat(xml == true, pretty, summary, elements) { GenericMediaType = generic }, null);
    }

    private static string? Generic(string mediaType) => s_generic.FirstOrDefault(g => g.Equals(mediaType, StringComparison.OrdinalIgnoreCase));

    private static bool IsXml(MediaTypeHeaderValue value) => s_xml.Contains(value.MediaType.Value, StringComparer.OrdinalIgnoreCase);

    private static bool IsJson(MediaTypeHeaderValue value) => s_json.Contains(value.MediaType.Value, StringComparer.OrdinalIgnoreCase);

    private static IResult NotAcceptable(string diagnostics) =>
        ErrorMap.Answer(ErrorKind.NotAcceptable, diagnostics);
}
