using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>Creates Enclave's database and container when they are missing (development and tests).</summary>
public static class CosmosContainerInitializer
{
    /// <summary>Ensures the database and the container (partition key and indexing policy of
    /// <see cref="CosmosLayout"/>) exist, and returns the container.</summary>
    public static async Task<Container> EnsureCreatedAsync(
        CosmosClient client, CosmosOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        Database database = await client.CreateDatabaseIfNotExistsAsync(
            options.DatabaseName, cancellationToken: cancellationToken);
        Container container = await database.CreateContainerIfNotExistsAsync(
            CosmosLayout.ContainerProperties(options.ContainerName), cancellationToken: cancellationToken);
        return container;
    }
}
