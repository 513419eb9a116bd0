using System.Net;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>Cosmos behaviours beyond point operations and queries, as the SDK sees them.</summary>
public sealed class EmulatorBehaviourTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly Container _container = cosmos.Container;

    private static JObject Item(string id, string pk, int n = 0) => new() { ["id"] = id, ["projectId"] = pk, ["n"] = n };

    private async Task<Container> NewContainerAsync(Action<ContainerProperties> configure)
    {
        var properties = new ContainerProperties(TestSettings.UniqueName("c"), "/projectId");
        configure(properties);
        return (await cosmos.Client.GetDatabase(cosmos.Options.DatabaseName).CreateContainerAsync(properties)).Container;
    }

    [Theory]
    [InlineData("SELECT * FROM c WHERE SOUNDEX(c.name) = 'x'", "SOUNDEX")]
    [InlineData("SELECT * FROM c WHERE udf.score(c) > 1", "udf.score")]
    [InlineData("SELECT * FROM c WHERE c.n >", "Syntax error")]
    public async Task Unsupported_or_invalid_sql_is_a_400_that_names_it(string sql, string named)
    {
        var error = await Assert.ThrowsAsync<CosmosException>(() => _container.GetItemQueryIterator<JObject>(sql,
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey("p") }).ReadNextAsync());

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains(named, error.ResponseBody ?? error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_paged_query_sees_writes_to_its_documents_and_pages_on_through_writes_to_others()
    {
        var container = await NewContainerAsync(_ => { });
        var pk = new PartitionKey("p");
        for (var i = 0; i < 10; i++)
        {
            await container.CreateItemAsync(new JObject { ["id"] = $"r{i}", ["projectId"] = "p", ["kind"] = "r", ["n"] = i }, pk);
        }

        var query = new QueryDefinition("SELECT c.id FROM c WHERE c.kind = 'r' ORDER BY c.n");
        using var pages = container.GetItemQueryIterator<JObject>(query, requestOptions: new QueryRequestOptions { PartitionKey = pk, MaxItemCount = 3 });
        async Task<string> NextAsync() => string.Join(",", (await pages.ReadNextAsync()).Select(d => (string)d["id"]!));

        var first = await NextAsync();
        await container.UpsertItemAsync(new JObject { ["id"] = "job", ["projectId"] = "p", ["kind"] = "job", ["n"] = 0 }, pk);
        var second = await NextAsync();
        await container.UpsertItemAsync(new JObject { ["id"] = "r7", ["projectId"] = "p", ["kind"] = "r", ["n"] = 100 }, pk);
        await container.DeleteItemAsync<JObject>("job", pk);
        var third = await NextAsync();
        var fourth = await NextAsync();

        Assert.Equal(["r0,r1,r2", "r3,r4,r5", "r6,r8,r9", "r7"], new[] { first, second, third, fourth });
        Assert.False(pages.HasMoreResults);
    }

    [Fact]
    public async Task A_repeated_query_sees_a_write_that_changes_an_aggregate_and_not_a_document_that_expired()
    {
        var container = await NewContainerAsync(p => p.DefaultTimeToLive = -1);
        var (p, q) = (new PartitionKey("p"), new PartitionKey("q"));
        await container.CreateItemAsync(new JObject { ["id"] = "a", ["projectId"] = "p" }, p);
        await container.CreateItemAsync(new JObject { ["id"] = "short", ["projectId"] = "p", ["ttl"] = 2 }, p);
        await container.CreateItemAsync(new JObject { ["id"] = "x", ["projectId"] = "q", ["n"] = 1 }, q);
        await container.CreateItemAsync(new JObject { ["id"] = "y", ["projectId"] = "q", ["n"] = 2 }, q);
        async Task<List<JToken>> QueryAsync(string sql, PartitionKey partition) =>
            [.. await container.GetItemQueryIterator<JToken>(sql, requestOptions: new QueryRequestOptions { PartitionKey = partition }).ReadNextAsync()];

        var ids = await QueryAsync("SELECT VALUE c.id FROM c", p);
        var sum = await QueryAsync("SELECT VALUE SUM(c.n) FROM c", q);
        // Alone this document yields no sum, yet with the others it makes the total undefined.
        await container.UpsertItemAsync(new JObject { ["id"] = "z", ["projectId"] = "q", ["n"] = "not a number" }, q);
        var mixed = await QueryAsync("SELECT VALUE SUM(c.n) FROM c", q);
        await Task.Delay(TimeSpan.FromSeconds(3.5)); // "short" expires; nothing is written to p
        var later = await QueryAsync("SELECT VALUE c.id FROM c", p);

        Assert.Equal(["a", "short"], ids.Select(i => (string)i!).Order(StringComparer.Ordinal));
        Assert.Equal(3, (int)sum.Single());
        Assert.Empty(mixed);
        Assert.Equal(["a"], later.Select(i => (string)i!));
    }

    [Fact]
    public async Task Etags_are_quoted_and_if_none_match_reads_are_304()
    {
        var pk = Guid.NewGuid().ToString();
        var created = await _container.CreateItemAsync(Item("doc", pk), new PartitionKey(pk));

        using var again = await _container.ReadItemStreamAsync("doc", new PartitionKey(pk), new ItemRequestOptions { IfNoneMatchEtag = created.ETag });

        Assert.Matches("^\"[0-9a-f-]{36}\"$", created.ETag);
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task Change_feed_is_incremental_and_resumable()
    {
        var container = await NewContainerAsync(_ => { });
        var pk = new PartitionKey("p");
        await container.CreateItemAsync(Item("a", "p"), pk);
        await container.CreateItemAsync(Item("b", "p"), pk);

        using var feed = container.GetChangeFeedIterator<JObject>(ChangeFeedStartFrom.Beginning(), ChangeFeedMode.LatestVersion);
        var first = await feed.ReadNextAsync();
        await container.UpsertItemAsync(Item("a", "p", 1), pk);
        await container.CreateItemAsync(Item("c", "p"), pk);
        var second = await feed.ReadNextAsync();
        var third = await feed.ReadNextAsync();

        Assert.Equal(["a", "b"], first.Select(d => (string)d["id"]!));
        Assert.Equal(["a", "c"], second.Select(d => (string)d["id"]!));
        Assert.Equal(1, (int)second.First()["n"]!);
        Assert.Equal(HttpStatusCode.NotModified, third.StatusCode);

        using var resumed = container.GetChangeFeedIterator<JObject>(ChangeFeedStartFrom.ContinuationToken(first.ContinuationToken), ChangeFeedMode.LatestVersion);
        Assert.Equal(["a", "c"], (await resumed.ReadNextAsync()).Select(d => (string)d["id"]!));
    }

    [Fact]
    public async Task Change_feed_processor_delivers_every_change_once()
    {
        var monitored = await NewContainerAsync(_ => { });
        var leases = (await cosmos.Client.GetDatabase(cosmos.Options.DatabaseName)
            .CreateContainerAsync(new ContainerProperties(TestSettings.UniqueName("leases"), "/id"))).Container;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var processor = monitored.GetChangeFeedProcessorBuilder<JObject>("enclave-test", (changes, _) =>
            {
                foreach (var change in changes)
                {
                    seen.AddOrUpdate((string)change["id"]!, 1, (_, n) => n + 1);
                }

                if (seen.Count == 20)
                {
                    all.TrySetResult();
                }

                return Task.CompletedTask;
            })
            .WithInstanceName("test-instance")
            .WithLeaseContainer(leases)
            .WithPollInterval(TimeSpan.FromMilliseconds(100))
            .WithStartTime(DateTime.MinValue.ToUniversalTime())
            .Build();

        await processor.StartAsync();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                await monitored.CreateItemAsync(Item($"d{i}", $"p{i % 3}"), new PartitionKey($"p{i % 3}"));
            }

            var finished = await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            Assert.Same(all.Task, finished);
        }
        finally
        {
            await processor.StopAsync();
        }

        Assert.Equal(20, seen.Count);
        Assert.All(seen.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task Time_to_live_expires_documents()
    {
        var container = await NewContainerAsync(p => p.DefaultTimeToLive = -1);
        var pk = new PartitionKey("p");
        await container.CreateItemAsync(new JObject { ["id"] = "short", ["projectId"] = "p", ["ttl"] = 2 }, pk);
        await container.CreateItemAsync(Item("forever", "p"), pk);

        await Task.Delay(TimeSpan.FromSeconds(2.2));
        using var expired = await container.ReadItemStreamAsync("short", pk);
        using var kept = await container.ReadItemStreamAsync("forever", pk);
        var count = await container.GetItemQueryIterator<int>("SELECT VALUE COUNT(1) FROM c",
            requestOptions: new QueryRequestOptions { PartitionKey = pk }).ReadNextAsync();

        Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(1, count.Single());
    }

    [Fact]
    public async Task Delete_all_items_by_partition_key_leaves_other_partitions()
    {
        var gone = Guid.NewGuid().ToString();
        var kept = Guid.NewGuid().ToString();
        await _container.CreateItemAsync(Item("x", gone), new PartitionKey(gone));
        await _container.CreateItemAsync(Item("y", gone), new PartitionKey(gone));
        await _container.CreateItemAsync(Item("x", kept), new PartitionKey(kept));

        using var response = await _container.DeleteAllItemsByPartitionKeyStreamAsync(new PartitionKey(gone));
        using var goneRead = await _container.ReadItemStreamAsync("y", new PartitionKey(gone));
        using var keptRead = await _container.ReadItemStreamAsync("x", new PartitionKey(kept));

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.NotFound, goneRead.StatusCode);
        Assert.Equal(HttpStatusCode.OK, keptRead.StatusCode);
    }

    [Fact]
    public async Task Unique_key_conflicts_are_409_on_create_upsert_and_replace()
    {
        var container = await NewContainerAsync(p => p.UniqueKeyPolicy.UniqueKeys.Add(new UniqueKey { Paths = { "/email" } }));
        var pk = new PartitionKey("p");
        await container.CreateItemAsync(new JObject { ["id"] = "1", ["projectId"] = "p", ["email"] = "a@x" }, pk);
        await container.CreateItemAsync(new JObject { ["id"] = "2", ["projectId"] = "p", ["email"] = "b@x" }, pk);

        var create = await Assert.ThrowsAsync<CosmosException>(() => container.CreateItemAsync(new JObject { ["id"] = "3", ["projectId"] = "p", ["email"] = "a@x" }, pk));
        var upsert = await Assert.ThrowsAsync<CosmosException>(() => container.UpsertItemAsync(new JObject { ["id"] = "2", ["projectId"] = "p", ["email"] = "a@x" }, pk));
        var replace = await Assert.ThrowsAsync<CosmosException>(() => container.ReplaceItemAsync(new JObject { ["id"] = "2", ["projectId"] = "p", ["email"] = "a@x" }, "2", pk));
        await container.CreateItemAsync(new JObject { ["id"] = "4", ["projectId"] = "other", ["email"] = "a@x" }, new PartitionKey("other"));

        Assert.All([create, upsert, replace], e => Assert.Equal(HttpStatusCode.Conflict, e.StatusCode));
    }

    [Fact]
    public async Task Patch_condition_that_does_not_match_is_412()
    {
        var pk = Guid.NewGuid().ToString();
        await _container.CreateItemAsync(Item("doc", pk, 1), new PartitionKey(pk));

        var error = await Assert.ThrowsAsync<CosmosException>(() => _container.PatchItemAsync<JObject>("doc", new PartitionKey(pk),
            [PatchOperation.Set("/n", 9)], new PatchItemRequestOptions { FilterPredicate = "FROM c WHERE c.n = 2" }));
        var patched = await _container.PatchItemAsync<JObject>("doc", new PartitionKey(pk),
            [PatchOperation.Set("/n", 9)], new PatchItemRequestOptions { FilterPredicate = "FROM c WHERE c.n = 1", EnableContentResponseOnWrite = true });

        Assert.Equal(HttpStatusCode.PreconditionFailed, error.StatusCode);
        Assert.Equal(9, (int)patched.Resource["n"]!);
    }
}
