using Enclave.Storage.Cosmos;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>The run command's emulators keep Cosmos data across restarts when given a data folder.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"enclave-data-{Guid.NewGuid():N}");

    public void Dispose() => Directory.Delete(_dataDir, recursive: true);

    private static CosmosClient Client(EmulatorEndpoints endpoints) => CosmosClientFactory.Create(
        TestSettings.CosmosOptions(endpoints), new Azure.Identity.DefaultAzureCredential());

    [Fact]
    public async Task Data_survives_a_restart_of_the_emulators()
    {
        var options = new CosmosOptions { DatabaseName = "persisted", ContainerName = "resources" };
        await using (var first = await EmulatorProcess.StartAsync("--data-dir", _dataDir))
        {
            using var client = Client(first.Endpoints);
            var container = await CosmosContainerInitializer.EnsureCreatedAsync(client, options, CancellationToken.None);
            await container.CreateItemAsync(new JObject { ["id"] = "kept", ["projectId"] = "p", ["n"] = 1 }, new PartitionKey("p"));
        }

        await using var second = await EmulatorProcess.StartAsync("--data-dir", _dataDir);
        using var again = Client(second.Endpoints);
        var read = await again.GetContainer("persisted", "resources").ReadItemAsync<JObject>("kept", new PartitionKey("p"));
        var next = await again.GetContainer("persisted", "resources").CreateItemAsync(
            new JObject { ["id"] = "new", ["projectId"] = "p" }, new PartitionKey("p"), new ItemRequestOptions { EnableContentResponseOnWrite = true });

        Assert.Equal(1, (int)read.Resource["n"]!);
        Assert.NotEqual(read.Resource["_rid"]!.ToString(), next.Resource["_rid"]!.ToString());
    }
}
