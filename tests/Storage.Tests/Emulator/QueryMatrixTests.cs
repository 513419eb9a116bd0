using Enclave.Storage.Cosmos;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>The query data set loaded into one fresh database per query-plan mode.</summary>
public sealed class QueryMatrixFixture : IAsyncLifetime
{
    private readonly Dictionary<string, (CosmosClient Client, Container Container, string Database)> _byMode = [];

    public Container ContainerFor(string mode) => _byMode[mode].Container;

    public async Task InitializeAsync()
    {
        foreach (var mode in LocalEmulators.QueryPlanModes)
        {
            var options = TestSettings.CosmosOptions(await LocalEmulators.GetAsync(mode));
            var client = CosmosClientFactory.Create(options, new Azure.Identity.DefaultAzureCredential());
            var container = await CosmosContainerInitializer.EnsureCreatedAsync(client, options, CancellationToken.None);
            // Created one after another: creation order is the resource-id order that breaks ORDER BY ties.
            foreach (var doc in QueryDataSet.Documents)
            {
                await container.CreateItemAsync(doc.ToJson(), new PartitionKey(doc.ProjectId));
            }

            _byMode[mode] = (client, container, options.DatabaseName);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (client, _, database) in _byMode.Values)
        {
            using (await client.GetDatabase(database).DeleteStreamAsync())
            {
            }

            client.Dispose();
        }
    }
}

/// <summary>
/// Every query of <see cref="QueryCases"/> through the real SDK, in both plan modes, with and without a partition
/// key, paged three items at a time, drained in one iterator and resumed from every page's continuation token.
/// </summary>
public sealed class QueryMatrixTests(QueryMatrixFixture data) : IClassFixture<QueryMatrixFixture>
{
    private const int PageSize = 3;

    public static TheoryData<string, string, string?> Cases()
    {
        var rows = new TheoryData<string, string, string?>();
        foreach (var mode in LocalEmulators.QueryPlanModes)
        {
            foreach (var query in QueryCases.All)
            {
                rows.Add(mode, query.Name, null);
                rows.Add(mode, query.Name, "p-a");
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Query_drains_and_resumes_to_the_oracle(string mode, string caseName, string? partitionKey)
    {
        var query = QueryCases.All.Single(q => q.Name == caseName);
        var scope = QueryDataSet.Documents.Where(d => d.ProjectId is "p-a" or "p-b" && (partitionKey is null || d.ProjectId == partitionKey));
        var expected = query.Expected(scope).ToList();
        var container = data.ContainerFor(mode);

        var pages = await DrainAsync(container, query, partitionKey, continuation: null);
        var all = pages.SelectMany(p => p.Items).ToList();

        AssertSame(expected, all, query.Ordered, $"{caseName} drained");
        var seen = 0;
        foreach (var page in pages)
        {
            seen += page.Items.Count;
            if (page.Continuation is null)
            {
                continue;
            }

            var rest = (await DrainAsync(container, query, partitionKey, page.Continuation)).SelectMany(p => p.Items).ToList();
            AssertSame(query.Ordered ? expected.Skip(seen).ToList() : Remove(expected, all.Take(seen)), rest, query.Ordered, $"{caseName} resumed after {seen}");
        }
    }

    private static async Task<List<(List<JToken> Items, string? Continuation)>> DrainAsync(
        Container container, QueryCase query, string? partitionKey, string? continuation)
    {
        var definition = new QueryDefinition(query.Sql).WithParameter("@a", "p-a").WithParameter("@b", "p-b");
        foreach (var (name, value) in query.Parameters ?? new Dictionary<string, object>())
        {
            definition = definition.WithParameter(name, value);
        }

        var options = new QueryRequestOptions { MaxItemCount = PageSize };
        if (partitionKey is not null)
        {
            options.PartitionKey = new PartitionKey(partitionKey);
        }

        var pages = new List<(List<JToken>, string?)>();
        using var iterator = container.GetItemQueryIterator<JToken>(definition, continuation, options);
        while (iterator.HasMoreResults)
        {
            var page = await iterator.ReadNextAsync();
            string? token;
            try
            {
                token = page.ContinuationToken;
            }
            catch (ArgumentException) when (query.Sql.Contains("DISTINCT", StringComparison.Ordinal) && !query.Ordered)
            {
                // As against Azure: with the SDK's own DISTINCT stage, an unordered DISTINCT cannot be resumed.
                token = null;
            }

            pages.Add(([.. page.Select(Strip)], token));
            Assert.True(pages.Count < 100, "The query never finished paging.");
        }

        return pages;
    }

    /// <summary>Documents come back with system properties; the oracle knows only the data.</summary>
    private static JToken Strip(JToken token)
    {
        if (token is JObject o)
        {
            var copy = (JObject)o.DeepClone();
            foreach (var name in o.Properties().Select(p => p.Name).Where(n => n.StartsWith('_')))
            {
                copy.Remove(name);
            }

            return copy;
        }

        return token;
    }

    private static List<JToken> Remove(List<JToken> from, IEnumerable<JToken> taken)
    {
        var rest = from.ToList();
        foreach (var item in taken)
        {
            var index = rest.FindIndex(r => JToken.DeepEquals(r, item));
            if (index >= 0)
            {
                rest.RemoveAt(index);
            }
        }

        return rest;
    }

    private static void AssertSame(List<JToken> expected, List<JToken> actual, bool ordered, string what)
    {
        static string Text(IEnumerable<JToken> tokens) => string.Join("\n", tokens.Select(t => t.ToString(Newtonsoft.Json.Formatting.None)));
        if (ordered)
        {
            Assert.True(expected.Count == actual.Count && expected.Zip(actual).All(p => JToken.DeepEquals(p.First, p.Second)),
                $"{what}:\nexpected\n{Text(expected)}\nactual\n{Text(actual)}");
        }
        else
        {
            Assert.True(Remove(expected, actual).Count == 0 && expected.Count == actual.Count,
                $"{what} (any order):\nexpected\n{Text(expected)}\nactual\n{Text(actual)}");
        }
    }
}
