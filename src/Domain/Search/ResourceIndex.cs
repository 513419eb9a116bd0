using System.Text.Json.Nodes;

namespace Enclave.Domain.Search;

/// <summary>
/// What a resource is found by: <see cref="Entries"/> holds, per search parameter code, the values extracted with
/// the parameter's FHIRPath expression (the document's <c>idx</c>); <see cref="Compartments"/> the compartments the
/// resource is in, such as <c>Patient/123</c>.
/// </summary>
/// <param name="Entries">Parameter code → array of index entries (see <see cref="ResourceIndexer"/> for their shapes).</param>
/// <param name="Compartments">The compartments, each as <c>Type/id</c>.</param>
public sealed record ResourceIndex(JsonObject Entries, IReadOnlyList<string> Compartments)
{
    /// <summary>
    /// One scalar per parameter with values, for <c>_sort</c> (Cosmos DB cannot order by a value inside an array):
    /// the smallest normalized string, date lower bound, number, code, uri or reference.
    /// </summary>
    public JsonObject SortKeys => _sortKeys ??= BuildSortKeys(Entries);

    private JsonObject? _sortKeys;

    private static JsonObject BuildSortKeys(JsonObject entries)
    {
        var keys = new JsonObject();
        foreach (var (code, values) in entries)
        {
            var candidates = values!.AsArray().OfType<JsonObject>().Select(SortValue).Where(v => v is not null).ToList();
            if (candidates.Count > 0)
            {
                keys[code] = candidates.Min(SortComparer.Instance)!.DeepClone();
            }
        }

        return keys;
    }

    private static JsonNode? SortValue(JsonObject entry) =>
        entry["n"] ?? entry["lo"] ?? entry["v"] ?? entry["c"] ?? entry["u"]
        ?? (entry["t"] is { } type && entry["i"] is { } id ? JsonValue.Create($"{type}/{id}") : null);
}
