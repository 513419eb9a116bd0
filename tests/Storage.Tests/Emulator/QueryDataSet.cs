using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>A document of the query matrix, with the order it was created in (the emulator's resource-id order).</summary>
internal sealed record QueryDocument(int Sequence, string Id, string ProjectId, int N, string S, int V, string[] Tags, string Gender)
{
    public JObject ToJson() => new()
    {
        ["id"] = Id,
        ["projectId"] = ProjectId,
        ["n"] = N,
        ["s"] = S,
        ["v"] = V,
        ["tags"] = new JArray(Tags),
        ["idx"] = new JArray(new JObject { ["p"] = "name", ["s"] = $"{S}{V}" }, new JObject { ["p"] = "gender", ["s"] = Gender }),
    };
}

/// <summary>30 documents over three projects, with ties on <c>n</c> and <c>s</c> so ORDER BY must break them.</summary>
internal static class QueryDataSet
{
    public static IReadOnlyList<QueryDocument> Documents { get; } = [.. Enumerable.Range(0, 30).Select(i => new QueryDocument(
        Sequence: i,
        Id: $"d{i:00}",
        ProjectId: (i % 5) switch { 0 => "p-c", 1 or 3 => "p-a", _ => "p-b" },
        N: i % 4,
        S: (i % 3) switch { 0 => "alpha", 1 => "beta", _ => "gamma" },
        V: (i * 7) % 31,
        Tags: [$"t{i % 5}", "all"],
        Gender: i % 2 == 0 ? "female" : "male"))];
}
