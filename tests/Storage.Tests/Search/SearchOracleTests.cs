using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Storage.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Xunit.Abstractions;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Storage.Tests.Search;

/// <summary>
/// The Cosmos search translation against the in-memory evaluator on a generated clinical data set: a few hundred
/// generated queries over every parameter type, modifier and prefix must return the same resources, page by page,
/// in the same order, and the same totals.
/// </summary>
public sealed class SearchOracleTests(CosmosDatabaseFixture cosmos, ITestOutputHelper output) : IClassFixture<CosmosDatabaseFixture>
{
    private const int Queries = 600;
    private const int PageSize = 7;

    /// <summary>Every type, modifier and prefix the generated queries must have exercised.</summary>
    private static readonly string[] s_mustCover =
    [
        "string:", "string:exact", "string:contains", "token:code", "token:system|code", "token:system|", "token:|code", "token:not", "token:text",
        "token:of-type", "reference:Type/id", "reference:id", "reference:type", "reference:identifier", "quantity:system|code", "uri:", "uri:below", "uri:above",
        "missing", "or", "_id", "_compartment", "date:", "date:eq", "date:ne", "date:gt", "date:lt", "date:ge", "date:le", "date:sa", "date:eb", "date:ap",
        "quantity:gt", "quantity:ap", "_lastUpdated:ge", "number:", "number:gt", "number:le", "number:ap", "sort", "sort:multi", "sort:desc", "chain", "_has", "_type", "composite", "filter",
    ];

    [Fact]
    public async Task Cosmos_search_returns_exactly_what_the_in_memory_evaluator_returns()
    {
        var project = Guid.NewGuid().ToString("N");
        // One clock for both evaluators: ap dates are near the same "now" on each side.
        var clock = new FixedClock(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new CosmosResourceStore(cosmos.Container, clock);
        var generated = ClinicalDataSet.Generate(patients: 300, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var data = generated.Select(d => (d.Resource, d.LastUpdated, Index: ResourceIndexer.Index(d.Resource))).ToList();
        foreach (var chunk in data.Chunk(40))
        {
            var writes = chunk.Select(d => new ResourceWrite(new StoredResource(d.Resource.TypeName, d.Resource.Id!, 1, d.LastUpdated, false,
                JsonSerializer.Serialize(d.Resource, ResourceParser.Options), string.Empty)
            { Index = d.Index }, null)).ToList();
            Assert.NotNull(await store.For(ProjectScope.Of(project)).CommitAsync(writes, [], [], default));
        }

        var generator = new QueryGenerator(data, seed: 7);
        var nonEmpty = 0;
        var run = 0;
        for (; run < Queries || (s_mustCover.Except(generator.Covered).Any() && run < 3 * Queries); run++)
        {
            var q = run;
            var (type, query) = generator.Next();
            var text = string.Join('&', query.Select(p => $"{p.Key}={p.Value}"));
            var (request, refusal) = SearchParser.Parse(type, query, strict: true);
            Assert.True(refusal is null, $"{type}?{text}: {refusal?.Issue[0].Diagnostics}");
            request = request! with { Count = PageSize };
            if (type.Length > 0 && q % 5 == 0)
            {
                var groups = generator.FilterGroups(type).Select(g =>
                {
                    var (group, groupRefusal) = SearchParser.Parse(type, g, strict: true);
                    Assert.True(groupRefusal is null, $"filter group {string.Join('&', g)}: {groupRefusal?.Issue[0].Diagnostics}");
                    return group!.Criteria;
                }).ToList();
                request = request with { Filter = groups };
                text += $" [filter: {groups.Count} groups]";
            }

            var (resolved, unresolvable) = await InMemorySearch.ResolveAsync(request, data, clock.GetUtcNow());
            Assert.True(unresolvable is null, $"{type}?{text}: {unresolvable?.Issue[0].Diagnostics}");
            var (storeResolved, _) = await ChainResolver.ResolveAsync(request, (inner, code, limit) => store.For(ProjectScope.Of(project)).SelectReferencesAsync(inner, code, limit, default));

            var expected = InMemorySearch.Order(request, data.Where(d => InMemorySearch.Matches(resolved!, d.Resource, d.LastUpdated, clock.GetUtcNow(), d.Index)), d => d)
                .Select(d => d.Resource.Id!).ToList();
            var actual = new List<string>();
            string? page = null;
            var pages = 0;
            do
            {
                var (resources, next) = await store.For(ProjectScope.Of(project)).SearchAsync(storeResolved!, page, default);
                Assert.True(resources.Count <= PageSize);
                Assert.True(expected.Skip(pages * PageSize).Take(resources.Count).SequenceEqual(resources.Select(r => r.Id)),
                    $"{type}?{text}, page {pages}: expected [{string.Join(",", expected.Skip(pages * PageSize).Take(PageSize))}], Cosmos [{string.Join(",", resources.Select(r => r.Id))}]");
                actual.AddRange(resources.Select(r => r.Id));
                page = next;
                pages++;
            }
            while (page is not null);

            Assert.True(expected.SequenceEqual(actual), $"{type}?{text}: expected {expected.Count} [{string.Join(",", expected.Take(5))}…], Cosmos {actual.Count} [{string.Join(",", actual.Take(5))}…]");
            Assert.Equal(expected.Count, await store.For(ProjectScope.Of(project)).CountAsync(storeResolved!, default));
            nonEmpty += expected.Count > 0 ? 1 : 0;
        }

        output.WriteLine($"{run} queries over {data.Count} resources, {nonEmpty} with results; covered: {string.Join(" ", generator.Covered.Order())}");
        Assert.True(nonEmpty > run / 2, $"only {nonEmpty} of {run} queries matched anything");
        Assert.Empty(s_mustCover.Except(generator.Covered));
    }

    /// <summary>A clock that always reads one instant.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
