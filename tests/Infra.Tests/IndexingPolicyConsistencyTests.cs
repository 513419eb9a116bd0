using System.Text.Json.Nodes;
using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;

namespace Enclave.Infra.Tests;

/// <summary>The deployment creates exactly the container the app creates and expects.</summary>
public sealed class IndexingPolicyConsistencyTests
{
    private static async Task<JsonNode> ContainerAsync() =>
        Assert.Single(CompiledTemplate.Resources(await CompiledTemplate.MainAsync(),
            "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers"))["properties"]!["resource"]!;

    [Fact]
    public async Task Deployed_indexing_policy_is_the_one_the_app_uses()
    {
        var deployed = (await ContainerAsync())["indexingPolicy"];

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(CosmosLayout.IndexingPolicyJson), deployed),
            $"infra/bicep deploys {deployed?.ToJsonString()}, the app uses {CosmosLayout.IndexingPolicyJson}");
    }

    [Fact]
    public async Task Deployed_time_to_live_is_the_apps()
    {
        Assert.Equal(CosmosLayout.DefaultTimeToLive, (int?)(await ContainerAsync())["defaultTtl"]);
    }

    [Fact]
    public async Task Deployed_partition_key_is_the_project()
    {
        var paths = (await ContainerAsync())["partitionKey"]!["paths"]!.AsArray().Select(p => (string?)p);

        Assert.Equal([CosmosLayout.PartitionKeyPath], paths);
    }

    [Fact]
    public async Task Deployed_names_are_the_apps_defaults()
    {
        var main = await CompiledTemplate.MainAsync();
        var variables = main["variables"]!;

        Assert.Equal(new CosmosOptions().DatabaseName, (string?)variables["databaseName"]);
        Assert.Equal(new CosmosOptions().ContainerName, (string?)variables["containerName"]);
        Assert.Equal(new AzureStorageOptions().ExportContainerName, (string?)variables["exportContainerName"]);
        Assert.Equal(new AzureStorageOptions().ExportQueueName, (string?)variables["exportQueueName"]);
    }
}
