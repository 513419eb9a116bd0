using System.Net;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>TransactionalBatch and bulk execution through the SDK's HybridRow wire format.</summary>
public sealed class BatchTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly Container _container = cosmos.Container;

    private static JObject Item(string id, string pk, int n = 0) => new() { ["id"] = id, ["projectId"] = pk, ["n"] = n };

    private async Task<HttpStatusCode> StatusOfAsync(string id, string pk)
    {
        using var response = await _container.ReadItemStreamAsync(id, new PartitionKey(pk));
        return response.StatusCode;
    }

    [Fact]
    public async Task Writes_answer_with_the_ETag_and_without_the_document_as_Enclave_asks()
    {
        // CosmosClientFactory turns write content off: the service serialises no written document into the answer.
        var pk = Guid.NewGuid().ToString();
        using var response = await _container.CreateTransactionalBatch(new PartitionKey(pk))
            .CreateItemStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Item("quiet", pk).ToString())))
            .ExecuteAsync();
        using var single = await _container.CreateItemStreamAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Item("single", pk).ToString())), new PartitionKey(pk));

        Assert.Equal(HttpStatusCode.Created, response[0].StatusCode);
        Assert.StartsWith("\"", response[0].ETag, StringComparison.Ordinal);
        Assert.True(response[0].ResourceStream is null or { Length: 0 });
        Assert.Equal(HttpStatusCode.Created, single.StatusCode);
        Assert.NotNull(single.Headers.ETag);
        Assert.True(single.Content is null or { Length: 0 });
    }

    [Fact]
    public async Task Batch_runs_every_operation_type_and_answers_per_operation()
    {
        var pk = Guid.NewGuid().ToString();
        await _container.CreateItemAsync(Item("replace-me", pk), new PartitionKey(pk));
        await _container.CreateItemAsync(Item("delete-me", pk), new PartitionKey(pk));
        await _container.CreateItemAsync(Item("patch-me", pk), new PartitionKey(pk));

        var content = new TransactionalBatchItemRequestOptions { EnableContentResponseOnWrite = true };
        using var response = await _container.CreateTransactionalBatch(new PartitionKey(pk))
            .CreateItem(Item("created", pk), content)
            .UpsertItem(Item("upserted", pk), content)
            .ReplaceItem("replace-me", Item("replace-me", pk, 5), content)
            .ReadItem("created")
            .DeleteItem("delete-me")
            .PatchItem("patch-me", [PatchOperation.Increment("/n", 3)], new TransactionalBatchPatchItemRequestOptions { EnableContentResponseOnWrite = true })
            .ExecuteAsync();

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(
            [HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NoContent, HttpStatusCode.OK],
            Enumerable.Range(0, response.Count).Select(i => response[i].StatusCode));
        Assert.Equal("created", (string?)response.GetOperationResultAtIndex<JObject>(3).Resource["id"]);
        Assert.Equal(5, (int)response.GetOperationResultAtIndex<JObject>(2).Resource["n"]!);
        Assert.Equal(3, (int)response.GetOperationResultAtIndex<JObject>(5).Resource["n"]!);
        Assert.All(Enumerable.Range(0, response.Count), i => Assert.StartsWith("\"", response[i].ETag, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync("delete-me", pk));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync("upserted", pk));
    }

    [Fact]
    public async Task Conflict_rolls_back_the_whole_batch()
    {
        var pk = Guid.NewGuid().ToString();
        await _container.CreateItemAsync(Item("existing", pk, 1), new PartitionKey(pk));

        using var response = await _container.CreateTransactionalBatch(new PartitionKey(pk))
            .CreateItem(Item("new-1", pk))
            .ReplaceItem("existing", Item("existing", pk, 2))
            .CreateItem(Item("existing", pk))
            .CreateItem(Item("new-2", pk))
            .ExecuteAsync();

        Assert.False(response.IsSuccessStatusCode);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal([(HttpStatusCode)424, (HttpStatusCode)424, HttpStatusCode.Conflict, (HttpStatusCode)424],
            Enumerable.Range(0, response.Count).Select(i => response[i].StatusCode));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync("new-1", pk));
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync("new-2", pk));
        Assert.Equal(1, (int)(await _container.ReadItemAsync<JObject>("existing", new PartitionKey(pk))).Resource["n"]!);
    }

    [Fact]
    public async Task Stale_if_match_rolls_back_the_whole_batch()
    {
        var pk = Guid.NewGuid().ToString();
        var original = await _container.CreateItemAsync(Item("doc", pk, 1), new PartitionKey(pk));
        await _container.ReplaceItemAsync(Item("doc", pk, 2), "doc", new PartitionKey(pk));

        using var response = await _container.CreateTransactionalBatch(new PartitionKey(pk))
            .CreateItem(Item("other", pk))
            .ReplaceItem("doc", Item("doc", pk, 3), new TransactionalBatchItemRequestOptions { IfMatchEtag = original.ETag })
            .ExecuteAsync();

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync("other", pk));
        Assert.Equal(2, (int)(await _container.ReadItemAsync<JObject>("doc", new PartitionKey(pk))).Resource["n"]!);
    }

    [Fact]
    public async Task More_than_100_operations_are_refused()
    {
        var pk = Guid.NewGuid().ToString();
        var batch = _container.CreateTransactionalBatch(new PartitionKey(pk));
        for (var i = 0; i < 101; i++)
        {
            batch.CreateItem(Item($"item-{i}", pk));
        }

        using var response = await batch.ExecuteAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync("item-0", pk));
    }

    [Fact]
    public async Task More_than_2_MB_is_refused()
    {
        var pk = Guid.NewGuid().ToString();
        var batch = _container.CreateTransactionalBatch(new PartitionKey(pk));
        var filler = new string('x', 400_000);
        for (var i = 0; i < 6; i++)
        {
            batch.CreateItem(new JObject { ["id"] = $"big-{i}", ["projectId"] = pk, ["filler"] = filler });
        }

        using var response = await batch.ExecuteAsync();

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await StatusOfAsync("big-0", pk));
    }

    [Fact]
    public async Task Bulk_upserts_thousands_of_items()
    {
        var endpoints = await LocalEmulators.GetAsync();
        using var bulk = new CosmosClient(endpoints.CosmosEndpoint.ToString(), endpoints.CosmosKey, new CosmosClientOptions
        {
            ConnectionMode = endpoints.IsEmulator ? ConnectionMode.Gateway : ConnectionMode.Direct,
            LimitToEndpoint = endpoints.IsEmulator,
            AllowBulkExecution = true,
        });
        var container = bulk.GetContainer(cosmos.Options.DatabaseName, cosmos.Options.ContainerName);
        var projects = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid().ToString()).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 3000).Select(i =>
            container.UpsertItemAsync(Item($"bulk-{i}", projects[i % 4], i), new PartitionKey(projects[i % 4]))));
        var count = await container.GetItemQueryIterator<int>(
            new QueryDefinition("SELECT VALUE COUNT(1) FROM c WHERE ARRAY_CONTAINS(@projects, c.projectId)").WithParameter("@projects", projects))
            .ReadNextAsync();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(3000, count.Single());
    }
}
