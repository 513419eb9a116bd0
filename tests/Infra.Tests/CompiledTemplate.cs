using System.Text.Json.Nodes;

namespace Enclave.Infra.Tests;

/// <summary>main.bicep compiled to an ARM template, with helpers to find resources in its nested deployments.</summary>
internal static class CompiledTemplate
{
    private static readonly Lazy<Task<JsonNode>> s_main = new(async () =>
    {
        var build = await Bicep.RunAsync("build", Path.Combine(Bicep.Folder, "main.bicep"), "--stdout");
        Assert.Equal(0, build.ExitCode);
        return JsonNode.Parse(build.Output)!;
    });

    public static Task<JsonNode> MainAsync() => s_main.Value;

    /// <summary>Every resource of <paramref name="type"/>, at any depth of nested deployments.</summary>
    public static IEnumerable<JsonNode> Resources(JsonNode template, string type)
    {
        foreach (var resource in Enumerate(template["resources"]))
        {
            if ((string?)resource["type"] == type)
            {
                yield return Resolve(resource, template)!;
            }

            if (resource["properties"]?["template"] is { } nested)
            {
                foreach (var inner in Resources(nested, type))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>A copy of <paramref name="node"/> with <c>[variables('x')]</c> expressions replaced by the
    /// template's values (Bicep stores <c>loadJsonContent</c> results as variables).</summary>
    private static JsonNode? Resolve(JsonNode? node, JsonNode template) => node switch
    {
        JsonValue value when value.TryGetValue<string>(out var text)
            && text.StartsWith("[variables('", StringComparison.Ordinal) && text.EndsWith("')]", StringComparison.Ordinal)
            && template["variables"]?[text[12..^3]] is { } variable => Resolve(variable, template),
        JsonObject map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, Resolve(p.Value, template)))),
        JsonArray array => new JsonArray([.. array.Select(item => Resolve(item, template))]),
        _ => node?.DeepClone(),
    };

    // Bicep emits resources as an array, or (with symbolic names) as an object keyed by name.
    private static IEnumerable<JsonNode> Enumerate(JsonNode? resources) => resources switch
    {
        JsonArray array => array.OfType<JsonNode>(),
        JsonObject map => map.Select(pair => pair.Value).OfType<JsonNode>(),
        _ => [],
    };
}
