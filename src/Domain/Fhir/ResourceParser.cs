using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Strict FHIR JSON and XML: unknown elements, wrong types, bad dates and unknown resource types are refused with an
/// OperationOutcome that names each problem's location. Every body is first scanned against <see cref="ParserLimits"/>
/// (see <see cref="BodyScanner"/>): too deep, too long, duplicate keys, a root that is not an object, a type name
/// in the wrong case — all 400 before a tree is built.
/// </summary>
public static class ResourceParser
{
    /// <summary>Firely's System.Text.Json options for FHIR R4 (strict by default).</summary>
    public static JsonSerializerOptions Options { get; } = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    private static readonly BaseFhirXmlDeserializer s_xml = new(ModelInfo.ModelInspector);

    /// <summary>Parses <paramref name="json"/> within the default limits; on failure <paramref name="outcome"/> says why and where.</summary>
    public static bool TryParse(string json, out Resource? resource, out OperationOutcome? outcome) =>
        TryParse(json, ParserLimits.Default, out resource, out outcome);

    /// <summary>Parses <paramref name="json"/> within <paramref name="limits"/>; on failure <paramref name="outcome"/> says why and where.</summary>
    public static bool TryParse(string json, ParserLimits limits, out Resource? resource, out OperationOutcome? outcome)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(limits);
        if (BodyScanner.Json(json, limits, resource: true) is { } refused)
        {
            resource = null;
            outcome = refused;
            return false;
        }

        return TryParse(() => Empty(json) ?? JsonSerializer.Deserialize<Resource>(MedplumAccounts(json), Options), out resource, out outcome);
    }

    /// <summary>Medplum's <c>meta.accounts</c>/<c>meta.account</c> as R4 extensions (see <see cref="Access.Accounts"/>); other JSON as it is.</summary>
    private static string MedplumAccounts(string json)
    {
        if (!json.Contains("\"account", StringComparison.Ordinal))
        {
            return json;
        }

        try
        {
            // The scan has refused duplicate keys (which JsonObject would throw on) and deep nesting.
            if (System.Text.Json.Nodes.JsonNode.Parse(json) is System.Text.Json.Nodes.JsonObject resource && resource["meta"] is System.Text.Json.Nodes.JsonObject)
            {
                Access.Accounts.FromMedplum(resource);
                return resource.ToJsonString();
            }
        }
        catch (JsonException)
        {
            // Not JSON: the strict parser says why.
        }

        return json;
    }

    /// <summary>
    /// <c>{"resourceType": "Patient"}</c> and nothing else: a valid, empty resource (Firely refuses it as an empty
    /// object, other servers accept it; a client may create one and fill it in later).
    /// </summary>
    private static Resource? Empty(string json)
    {
        if (json.Length > 200 || !json.Contains("\"resourceType\"", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.EnumerateObject().Count() == 1
                && root.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String
                && type.GetString() is { } name && ResourceTypes.IsKnown(name) && ModelInfo.GetTypeForFhirType(name) is { } poco
                ? (Resource)Activator.CreateInstance(poco)!
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses FHIR XML as strictly as JSON, within the default limits.</summary>
    public static bool TryParseXml(string xml, out Resource? resource, out OperationOutcome? outcome) =>
        TryParseXml(xml, ParserLimits.Default, out resource, out outcome);

    /// <summary>
    /// Parses FHIR XML as strictly as JSON, within <paramref name="limits"/>: the XML is scanned first (no DTDs,
    /// depth and lengths checked, so Firely's recursive reader never sees a deep document), and the resource must
    /// also be within the limits as JSON — the form it is stored in, where each repeated element adds two levels.
    /// </summary>
    public static bool TryParseXml(string xml, ParserLimits limits, out Resource? resource, out OperationOutcome? outcome)
    {
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentNullException.ThrowIfNull(limits);
        resource = null;
        if (BodyScanner.Xml(xml, limits) is { } refused)
        {
            outcome = refused;
            return false;
        }

        if (!TryParse(() => { using var reader = System.Xml.XmlReader.Create(new StringReader(xml), BodyScanner.ReaderSettings()); return s_xml.DeserializeResource(reader); },
                out var parsed, out outcome))
        {
            return false;
        }

        string json;
        try
        {
            json = JsonSerializer.Serialize(parsed, Options);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            outcome = FhirErrors.Outcome(OperationOutcome.IssueType.Structure, $"The resource nests deeper than {limits.MaxDepth} levels in JSON.");
            return false;
        }

        if (BodyScanner.Json(json, limits, resource: true) is { } tooLarge)
        {
            outcome = tooLarge;
            return false;
        }

        resource = parsed;
        return true;
    }

    private static bool TryParse(Func<Resource?> parse, out Resource? resource, out OperationOutcome? outcome)
    {
        resource = null;
        outcome = null;
        try
        {
            resource = parse();
            if (resource is null)
            {
                outcome = FhirErrors.Outcome(OperationOutcome.IssueType.Structure, "The body is not a FHIR resource.");
            }
        }
        catch (DeserializationFailedException ex)
        {
            outcome = new OperationOutcome
            {
                Issue = [.. ex.Exceptions.Select(e => FhirErrors.Outcome(
                    OperationOutcome.IssueType.Structure, e.Message, (e as ExtendedCodedException)?.InstancePath).Issue[0])],
            };
        }
        catch (JsonException ex)
        {
            outcome = FhirErrors.Outcome(OperationOutcome.IssueType.Structure, $"The body is not valid JSON: {ex.Message}");
        }
        catch (System.Xml.XmlException ex)
        {
            outcome = FhirErrors.Outcome(OperationOutcome.IssueType.Structure, $"The body is not valid XML: {ex.Message}");
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException or NotSupportedException or InvalidCastException or IndexOutOfRangeException or Hl7.Fhir.Validation.CodedValidationException)
        {
            // Firely refuses some input with these rather than with a DeserializationFailedException; their text is not for clients.
            outcome = FhirErrors.Outcome(OperationOutcome.IssueType.Structure, "The body is not a FHIR resource this server can read.");
        }

        return outcome is null;
    }
}
