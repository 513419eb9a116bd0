using Enclave.Storage.Cosmos;
using Enclave.Testing;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Enclave.Bench;

/// <summary>Rates of the local Cosmos emulator through the real SDK (Gateway mode, 32 operations in flight).</summary>
internal static class EmulatorBenchmarks
{
    private const string Group = "Local Cosmos DB emulator (tools/emulators) through Microsoft.Azure.Cosmos";
    private const int InFlight = 32;
    private const int Documents = 2000;
    private const int LargeSet = 100_000;

    public static async Task<List<BenchResult>> RunAsync()
    {
        await using var emulators = await EmulatorProcess.StartAsync();
        var options = TestSettings.CosmosOptions(emulators.Endpoints);
        using var client = CosmosClientFactory.Create(options, new Azure.Identity.DefaultAzureCredential());
        var container = await CosmosContainerInitializer.EnsureCreatedAsync(client, options, CancellationToken.None);
        var pk = new PartitionKey("bench");
        var padding = new string('x', 1500);
        JObject Doc(int i) => new() { ["id"] = $"d{i}", ["projectId"] = "bench", ["n"] = i % 100, ["name"] = $"name{i}", ["padding"] = padding };

        var results = new List<BenchResult>();
        // Each timed run asks a different question: the emulator caches a query's results until the next write.
        var run = 0;
        var upserts = await Measure.RateAsync(Documents, InFlight, i => container.UpsertItemAsync(Doc(i), pk));
        results.Add(new(Group, "upsert", upserts, "ops/s", $"{Documents} documents of ≈1.8 KB, {InFlight} in flight"));
        var typedReads = await Measure.RateAsync(Documents, InFlight, i => container.ReadItemAsync<JObject>($"d{i}", pk));
        results.Add(new(Group, "point read (typed)", typedReads, "ops/s", $"{Documents} reads, {InFlight} in flight"));
        var streamReads = await Measure.RateAsync(Documents, InFlight, async i => { using var r = await container.ReadItemStreamAsync($"d{i}", pk); });
        results.Add(new(Group, "point read (stream)", streamReads, "ops/s", $"{Documents} reads, {InFlight} in flight"));

        var page = await TimeAsync(20, () => DrainAsync(container, $"SELECT TOP {1000 - run++} * FROM c WHERE c.projectId = 'bench' ORDER BY c.n", pk, 1000));
        results.Add(new(Group, "query, one 1000-document page, ORDER BY", page, "ms", "median of 20, single partition"));
        var filtered = await TimeAsync(20, () => DrainAsync(container, $"SELECT * FROM c WHERE c.projectId = 'bench' AND c.n = {run++ % 100}", pk, 100));
        results.Add(new(Group, $"query, filter over {Documents} documents", filtered, "ms", "median of 20, 20 results"));

        var large = new PartitionKey("large");
        await BulkLoadAsync(emulators.Endpoints, options, LargeSet);
        var largeCount = await TimeAsync(5, () => DrainAsync(container, $"SELECT VALUE COUNT(1) FROM c WHERE c.n > {++run}", large, 100));
        results.Add(new(Group, $"query, COUNT over {LargeSet:N0} documents", largeCount, "ms", "median of 5, one partition"));
        var largeOrder = await TimeAsync(5, () => DrainAsync(container, $"SELECT TOP 10 c.id FROM c WHERE STARTSWITH(c.name, 'name{++run % 10}') ORDER BY c.n DESC", large, 10));
        results.Add(new(Group, $"query, filter + ORDER BY + TOP over {LargeSet:N0} documents", largeOrder, "ms", "median of 5, one partition"));
        return results;
    }

    private static async Task BulkLoadAsync(EmulatorEndpoints endpoints, CosmosOptions options, int count)
    {
        using var bulk = new CosmosClient(endpoints.CosmosEndpoint.ToString(), endpoints.CosmosKey,
            new CosmosClientOptions { ConnectionMode = ConnectionMode.Gateway, LimitToEndpoint = true, AllowBulkExecution = true });
        var container = bulk.GetContainer(options.DatabaseName, options.ContainerName);
        var tasks = Enumerable.Range(0, count).Select(i => container.UpsertItemAsync(
            new JObject { ["id"] = $"l{i}", ["projectId"] = "large", ["n"] = i % 1000, ["name"] = $"name{i}" }, new PartitionKey("large")));
        await Task.WhenAll(tasks);
    }

    private static async Task DrainAsync(Container container, string sql, PartitionKey pk, int pageSize)
    {
        using var iterator = container.GetItemQueryStreamIterator(sql, requestOptions: new QueryRequestOptions { PartitionKey = pk, MaxItemCount = pageSize });
        while (iterator.HasMoreResults)
        {
            using var response = await iterator.ReadNextAsync();
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>Median milliseconds of <paramref name="runs"/> runs, after one warm-up.</summary>
    private static async Task<double> TimeAsync(int runs, Func<Task> operation)
    {
        await operation();
        return await Measure.LatencyAsync(runs, _ => operation());
    }
}
