using System.Net;
using Enclave.Storage.Cosmos;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Cosmos;

/// <summary>Point operations through Microsoft.Azure.Cosmos against the local emulator (or a real account).</summary>
public sealed class CosmosPointOperationsTests(CosmosDatabaseFixture cosmos) : IClassFixture<CosmosDatabaseFixture>
{
    private readonly Container _container = cosmos.Container;

    private static JObject Item(string id, string projectId, string name) =>
        new() { ["id"] = id, ["projectId"] = projectId, ["name"] = name };

    [Fact]
    public async Task Container_is_partitioned_by_project_with_the_shared_indexing_policy()
    {
        ContainerProperties properties = await _container.ReadContainerAsync();

        Assert.Equal(CosmosLayout.PartitionKeyPath, properties.PartitionKeyPath);
        Assert.Contains(properties.IndexingPolicy.ExcludedPaths, p => p.Path == "/resource/*");
        // Search filters and sorts on these: none may fall under an excluded path, or queries would scan.
        Assert.Contains(properties.IndexingPolicy.IncludedPaths, p => p.Path == "/*");
        foreach (var searched in new[] { "/idx/", "/sort/", "/compartments/", "/lastUpdated/", "/resourceType/", "/kind/", "/deleted/", "/resourceId/" })
        {
            Assert.DoesNotContain(properties.IndexingPolicy.ExcludedPaths, p => searched.StartsWith(p.Path.TrimEnd('*', '?'), StringComparison.Ordinal) && p.Path != "/*");
        }
        Assert.Equal(CosmosLayout.DefaultTimeToLive, properties.DefaultTimeToLive);
    }

    [Fact]
    public async Task Created_item_reads_back_with_a_quoted_etag()
    {
        var id = Guid.NewGuid().ToString();
        var created = await _container.CreateItemAsync(Item(id, "p1", "alpha"), new PartitionKey("p1"));

        var read = await _container.ReadItemAsync<JObject>(id, new PartitionKey("p1"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("alpha", (string?)read.Resource["name"]);
        Assert.Equal(created.ETag, read.ETag);
        Assert.False(string.IsNullOrEmpty(read.ETag));
    }

    [Fact]
    public async Task Point_read_of_a_missing_item_is_404()
    {
        using var response = await _container.ReadItemStreamAsync(Guid.NewGuid().ToString(), new PartitionKey("p1"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Item_is_invisible_from_another_partition()
    {
        var id = Guid.NewGuid().ToString();
        await _container.CreateItemAsync(Item(id, "project-a", "a"), new PartitionKey("project-a"));

        using var response = await _container.ReadItemStreamAsync(id, new PartitionKey("project-b"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Creating_an_existing_id_in_the_same_partition_is_409()
    {
        var id = Guid.NewGuid().ToString();
        await _container.CreateItemAsync(Item(id, "p1", "first"), new PartitionKey("p1"));

        var conflict = await Assert.ThrowsAsync<CosmosException>(
            () => _container.CreateItemAsync(Item(id, "p1", "second"), new PartitionKey("p1")));

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
    }

    [Fact]
    public async Task Replace_with_a_stale_etag_is_412_and_changes_nothing()
    {
        var id = Guid.NewGuid().ToString();
        var created = await _container.CreateItemAsync(Item(id, "p1", "v1"), new PartitionKey("p1"));
        await _container.ReplaceItemAsync(Item(id, "p1", "v2"), id, new PartitionKey("p1"),
            new ItemRequestOptions { IfMatchEtag = created.ETag });

        var stale = await Assert.ThrowsAsync<CosmosException>(() => _container.ReplaceItemAsync(
            Item(id, "p1", "v3"), id, new PartitionKey("p1"), new ItemRequestOptions { IfMatchEtag = created.ETag }));
        var current = await _container.ReadItemAsync<JObject>(id, new PartitionKey("p1"));

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("v2", (string?)current.Resource["name"]);
    }

    [Fact]
    public async Task Upsert_patch_and_delete_round_trip()
    {
        var id = Guid.NewGuid().ToString();
        await _container.UpsertItemAsync(Item(id, "p1", "one"), new PartitionKey("p1"));
        await _container.UpsertItemAsync(Item(id, "p1", "two"), new PartitionKey("p1"));
        var patched = await _container.PatchItemAsync<JObject>(id, new PartitionKey("p1"),
            [PatchOperation.Set("/name", "three"), PatchOperation.Add("/tag", "x")], new PatchItemRequestOptions { EnableContentResponseOnWrite = true });

        await _container.DeleteItemAsync<JObject>(id, new PartitionKey("p1"));
        using var afterDelete = await _container.ReadItemStreamAsync(id, new PartitionKey("p1"));

        Assert.Equal("three", (string?)patched.Resource["name"]);
        Assert.Equal("x", (string?)patched.Resource["tag"]);
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.StatusCode);
    }
}
