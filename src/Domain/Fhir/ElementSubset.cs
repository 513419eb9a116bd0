using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// <c>_elements</c> (search.html §_elements, and Bulk Data's kick-off parameter): the elements asked for, plus
/// <c>id</c>, <c>meta</c> and the type's mandatory elements, which are always kept; a trimmed resource carries the
/// SUBSETTED tag.
/// </summary>
public static class ElementSubset
{
    /// <summary>The tag's system (v3 ObservationValue).</summary>
    public const string TagSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

    /// <summary>The tag's code.</summary>
    public const string TagCode = "SUBSETTED";

    /// <summary>The root elements kept of resources of <paramref name="types"/> when <paramref name="elements"/> are asked for.</summary>
    public static string[] Kept(IEnumerable<Type> types, IEnumerable<string> elements)
    {
        var mandatory = types.SelectMany(type => ModelInfo.ModelInspector.FindOrImportClassMapping(type)?.PropertyMappings.Where(p => p.IsMandatoryElement).Select(p => p.Name) ?? []);
        return [.. elements.Concat(["id", "meta"]).Concat(mandatory).Distinct(StringComparer.Ordinal)];
    }

    private static readonly JsonSerializerOptions s_relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <paramref name="json"/> (a resource of <paramref name="resourceType"/>) with only the kept root elements (a
    /// choice element by any of its JSON names, a primitive with its <c>_</c> sibling), tagged SUBSETTED.
    /// </summary>
    public static string Trim(string resourceType, string json, IReadOnlyCollection<string> elements)
    {
        ArgumentNullException.ThrowIfNull(json);
        var mapping = ModelInfo.GetTypeForFhirType(resourceType) is { } type ? ModelInfo.ModelInspector.FindOrImportClassMapping(type) : null;
        var kept = Kept(mapping is null ? [] : [mapping.NativeType], elements).ToHashSet(StringComparer.Ordinal);
        var choices = mapping?.PropertyMappings.Where(p => p.Choice == ChoiceType.DatatypeChoice && kept.Contains(p.Name)).Select(p => p.Name).ToList() ?? [];
        var resource = JsonNode.Parse(json)!.AsObject();
        foreach (var name in resource.Select(p => p.Key).ToList())
        {
            var element = name.StartsWith('_') ? name[1..] : name;
            var keep = name == "resourceType" || kept.Contains(element)
                || choices.Any(c => element.Length > c.Length && element.StartsWith(c, StringComparison.Ordinal) && char.IsUpper(element[c.Length]));
            if (!keep)
            {
                resource.Remove(name);
            }
        }

        var meta = resource["meta"] as JsonObject ?? [];
        resource["meta"] = meta;
        var tags = meta["tag"] as JsonArray ?? [];
        meta["tag"] = tags;
        if (!tags.Any(t => t?["system"]?.GetValue<string>() == TagSystem && t["code"]?.GetValue<string>() == TagCode))
        {
            tags.Add(new JsonObject { ["system"] = TagSystem, ["code"] = TagCode });
        }

        return resource.ToJsonString(s_relaxed);
    }
}
