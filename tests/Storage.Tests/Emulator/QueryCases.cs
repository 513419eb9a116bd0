using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>The query matrix: every case runs in both query-plan modes, with and without a partition key.</summary>
internal static class QueryCases
{
    private const string Scope = "c.projectId IN (@a, @b)";

    private static JToken Id(QueryDocument d) => d.Id;

    private static readonly StringComparer s_ordinal = StringComparer.Ordinal;

    public static IReadOnlyList<QueryCase> All { get; } =
    [
        new("order-by-one-key-asc", $"SELECT * FROM c WHERE {Scope} ORDER BY c.n",
            docs => docs.OrderBy(d => d.N).ThenBy(d => d.Sequence).Select(d => (JToken)d.ToJson()), Ordered: true),
        new("order-by-one-key-desc", $"SELECT VALUE c.id FROM c WHERE {Scope} ORDER BY c.n DESC",
            docs => docs.OrderByDescending(d => d.N).ThenByDescending(d => d.Sequence).Select(Id), Ordered: true),
        new("order-by-two-keys-asc-desc", $"SELECT VALUE c.id FROM c WHERE {Scope} ORDER BY c.s ASC, c.n DESC",
            docs => docs.OrderBy(d => d.S, s_ordinal).ThenByDescending(d => d.N).ThenBy(d => d.Sequence).Select(Id), Ordered: true),
        new("order-by-two-keys-desc-asc", $"SELECT c.id, c.s FROM c WHERE {Scope} ORDER BY c.s DESC, c.n ASC",
            docs => docs.OrderByDescending(d => d.S, s_ordinal).ThenBy(d => d.N).ThenByDescending(d => d.Sequence)
                .Select(d => (JToken)new JObject { ["id"] = d.Id, ["s"] = d.S }), Ordered: true),
        new("top", $"SELECT TOP 5 VALUE c.id FROM c WHERE {Scope} AND c.v < 100",
            docs => docs.OrderBy(d => d.Sequence).Take(5).Select(Id), Ordered: false),
        new("top-order-by", $"SELECT TOP 5 VALUE c.id FROM c WHERE {Scope} ORDER BY c.v DESC",
            docs => docs.OrderByDescending(d => d.V).ThenByDescending(d => d.Sequence).Take(5).Select(Id), Ordered: true),
        new("offset-limit-literals", $"SELECT VALUE c.id FROM c WHERE {Scope} ORDER BY c.v OFFSET 3 LIMIT 6",
            docs => docs.OrderBy(d => d.V).ThenBy(d => d.Sequence).Skip(3).Take(6).Select(Id), Ordered: true),
        new("offset-limit-parameters", $"SELECT VALUE c.id FROM c WHERE {Scope} ORDER BY c.v DESC OFFSET @offset LIMIT @limit",
            docs => docs.OrderByDescending(d => d.V).ThenByDescending(d => d.Sequence).Skip(2).Take(5).Select(Id), Ordered: true,
            new Dictionary<string, object> { ["@offset"] = 2, ["@limit"] = 5 }),
        new("count", $"SELECT VALUE COUNT(1) FROM c WHERE {Scope}", docs => [docs.Count()], Ordered: true),
        new("sum", $"SELECT VALUE SUM(c.v) FROM c WHERE {Scope}", docs => [docs.Sum(d => d.V)], Ordered: true),
        new("min", $"SELECT VALUE MIN(c.s) FROM c WHERE {Scope}", docs => [docs.Select(d => d.S).Min(s_ordinal)!], Ordered: true),
        new("max", $"SELECT VALUE MAX(c.v) FROM c WHERE {Scope}", docs => [docs.Max(d => d.V)], Ordered: true),
        new("avg", $"SELECT VALUE AVG(c.n) FROM c WHERE {Scope}", docs => [docs.Average(d => d.N)], Ordered: true),
        new("distinct", $"SELECT DISTINCT VALUE c.s FROM c WHERE {Scope}",
            docs => docs.Select(d => d.S).Distinct().Select(s => (JToken)s), Ordered: false),
        new("distinct-order-by", $"SELECT DISTINCT VALUE c.s FROM c WHERE {Scope} ORDER BY c.s DESC",
            docs => docs.Select(d => d.S).Distinct().OrderByDescending(s => s, s_ordinal).Select(s => (JToken)s), Ordered: true),
        new("exists-over-array", $"SELECT VALUE c.id FROM c WHERE {Scope} AND EXISTS(SELECT VALUE i FROM i IN c.idx WHERE i.p = 'gender' AND i.s = @gender)",
            docs => docs.Where(d => d.Gender == "female").Select(Id), Ordered: false,
            new Dictionary<string, object> { ["@gender"] = "female" }),
        new("array-contains", $"SELECT VALUE c.id FROM c WHERE {Scope} AND ARRAY_CONTAINS(c.tags, 't1')",
            docs => docs.Where(d => d.Tags.Contains("t1")).Select(Id), Ordered: false),
        new("in", $"SELECT VALUE c.id FROM c WHERE {Scope} AND c.n IN (1, 3)",
            docs => docs.Where(d => d.N is 1 or 3).Select(Id), Ordered: false),
        new("startswith", $"SELECT VALUE c.id FROM c WHERE {Scope} AND STARTSWITH(c.s, 'ga')",
            docs => docs.Where(d => d.S.StartsWith("ga", StringComparison.Ordinal)).Select(Id), Ordered: false),
        new("join", $"SELECT t AS tag, c.id FROM c JOIN t IN c.tags WHERE {Scope} AND t != 'all'",
            docs => docs.SelectMany(d => d.Tags.Where(t => t != "all").Select(t => (JToken)new JObject { ["tag"] = t, ["id"] = d.Id })), Ordered: false),
    ];
}
