using System.Text.Json.Nodes;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Medplum clients send <c>meta.project</c>, <c>meta.compartment</c>, <c>meta.author</c> and
/// <c>meta.onBehalfOf</c>. They are not R4 elements, and in Enclave the server alone decides them (the project
/// comes from the token), so they are dropped before strict parsing — in every resource of the body, bundles'
/// entries included — rather than refused.
/// </summary>
public static class ServerManagedMeta
{
    private static readonly string[] s_fields = ["project", "compartment", "author", "onBehalfOf"];

    /// <summary>The JSON without those fields (the same text when it has none).</summary>
    public static string Strip(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!json.Contains("\"meta\"", StringComparison.Ordinal) || !s_fields.Any(f => json.Contains($"\"{f}\"", StringComparison.Ordinal)))
        {
            return json;
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }

        try
        {
            return Strip(root) ? root!.ToJsonString() : json;
        }
        catch (ArgumentException)
        {
            // A key twice in one object (JsonObject throws when it meets it): the strict parser refuses the body and says where.
            return json;
        }
    }

    private static bool Strip(JsonNode? node)
    {
        var changed = false;
        switch (node)
        {
            case JsonObject obj:
                if (obj.ContainsKey("resourceType") && obj["meta"] is JsonObject meta)
                {
                    foreach (var field in s_fields)
                    {
                        changed |= meta.Remove(field);
                    }

                    if (meta.Count == 0)
                    {
                        obj.Remove("meta");
                    }
                }

                foreach (var (_, child) in obj.ToList())
                {
                    changed |= Strip(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    changed |= Strip(child);
                }

                break;
        }

        return changed;
    }
}
