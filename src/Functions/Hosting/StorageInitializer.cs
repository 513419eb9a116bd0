using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Hosting;

/// <summary>
/// Creates the Cosmos database and container and the export blob container and queue before the handler serves
/// requests, when configuration asks for it (development, tests). In Azure the Bicep deployment creates them.
/// </summary>
internal sealed class StorageInitializer(
    CosmosClient cosmos,
    IOptions<CosmosOptions> cosmosOptions,
    AzureStorageClients storage,
    IOptions<AzureStorageOptions> storageOptions) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (cosmosOptions.Value.CreateIfNotExists)
        {
            await CosmosContainerInitializer.EnsureCreatedAsync(cosmos, cosmosOptions.Value, cancellationToken);
        }

        if (storageOptions.Value.CreateIfNotExists)
        {
            await storage.EnsureCreatedAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
