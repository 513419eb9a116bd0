using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Strict FHIR JSON: unknown elements, wrong types, bad dates and unknown resource types are refused with an
/// OperationOutcome that names each problem's location.
/// </summary>
public static class ResourceParser
{
    /// <summary>Firely's System.Text.Json options for FHIR R4 (strict by default).</summary>
    public static JsonSerializerOptions Options { get; } = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    private static readonly BaseFhirXmlDeserializer s_xml = new(ModelInfo.ModelInspector);

    /// <summary>Parses <paramref name="json"/>; on failure <paramref name="outcome"/> says why and where.</summary>
    public static bool TryParse(string json, out Resource? resource, out OperationOutcome? outcome) =>
        TryParse(() => Empty(json) ?? JsonSerializer.Deserialize<Resource>(MedplumAccounts(json), Options), out resource, out outcome);

    /// <summary>Medplum's <c>meta.accounts</c>/<c>meta.account</c> as R4 extensions (see <see cref="Access.Accounts"/>); other JSON as it is.</summary>
    private static string MedplumAccounts(string json)
    {
        if (!json.Contains("\"account", StringComparison.Ordinal))
        {
            return json;
        }

        try
        {
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
                && type.GetString() is { } name && ModelInfo.IsKnownResource(name) && ModelInfo.GetTypeForFhirType(name) is { } poco
                ? (Resource)Activator.CreateInstance(poco)!
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Parses FHIR XML as strictly as JSON.</summary>
    public static bool TryParseXml(string xml, out Resource? resource, out OperationOutcome? outcome) =>
        TryParse(() => s_xml.DeserializeResource(xml), out resource, out outcome);

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

        return outcome is null;
    }
}
