using System.Text.Json.Nodes;

namespace Enclave.Domain.Search;

/// <summary>
/// What a resource is found by: <see cref="Entries"/> holds, per search parameter code, the values extracted with
/// the parameter's FHIRPath expression (the document's <c>idx</c>); <see cref="Compartments"/> the compartments the
/// resource is in, such as <c>Patient/123</c>.
/// </summary>
/// <param name="Entries">Parameter code → its index entries (only parameters with at least one).</param>
/// <param name="Compartments">The compartments, each as <c>Type/id</c>.</param>
public sealed record ResourceIndex(IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> Entries, IReadOnlyList<string> Compartments)
{
    /// <summary>The entries of parameter <paramref name="code"/>; empty when it has none.</summary>
    public IReadOnlyList<IndexEntry> Of(string code) => Entries.TryGetValue(code, out var entries) ? entries : [];

    /// <summary>
    /// One scalar per parameter with values, for <c>_sort</c> (Cosmos DB cannot order by a value inside an array):
    /// the smallest <see cref="IndexEntry.SortValue"/> in Cosmos DB's value order.
    /// </summary>
    public JsonObject SortKeys => _sortKeys ??= BuildSortKeys(Entries);

    private JsonObject? _sortKeys;

    private static JsonObject BuildSortKeys(IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>> entries)
    {
        var keys = new JsonObject();
        foreach (var (code, values) in entries)
        {
            var candidates = values.Select(e => e.SortValue switch
            {
                decimal number => JsonValue.Create(number),
                string text => JsonValue.Create(text),
                _ => null,
            }).Where(v => v is not null).ToList();
            if (candidates.Count > 0)
            {
                keys[code] = candidates.Min(SortComparer.Instance)!.DeepClone();
            }
        }

        return keys;
    }
}
