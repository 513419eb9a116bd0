using Azure.Core;
using Azure.Identity;
using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Hosting;

/// <summary>Composition of the storage adapters: options bound and validated at start-up, one client each.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers Cosmos DB and Azure Storage from the <c>Cosmos</c> and <c>Storage</c> sections.</summary>
    public static IServiceCollection AddEnclaveStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CosmosOptions>()
            .Bind(configuration.GetSection(CosmosOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<AzureStorageOptions>()
            .Bind(configuration.GetSection(AzureStorageOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Used only where no key or connection string is configured, i.e. in Azure with managed identity.
        services.AddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.AddSingleton<CosmosRequestMetrics>();
        services.AddSingleton(sp => CosmosClientFactory.Create(
            sp.GetRequiredService<IOptions<CosmosOptions>>().Value, sp.GetRequiredService<TokenCredential>(), sp.GetRequiredService<CosmosRequestMetrics>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CosmosOptions>>().Value;
            return sp.GetRequiredService<CosmosClient>().GetContainer(options.DatabaseName, options.ContainerName);
        });
        services.AddSingleton(sp => AzureStorageClients.Create(
            sp.GetRequiredService<IOptions<AzureStorageOptions>>().Value, sp.GetRequiredService<TokenCredential>()));
        services.AddHostedService<StorageInitializer>();
        return services;
    }
}
