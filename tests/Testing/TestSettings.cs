using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Testing;

/// <summary>Options for one test class: Enclave's settings with names no other class uses.</summary>
public static class TestSettings
{
    /// <summary>A short unique name, valid for a Cosmos database, a blob container and a queue.</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];

    /// <summary>
    /// Production-shaped settings naming Azure endpoints that are never called, and a development signing key:
    /// enough for the handler to start and show its routes.
    /// </summary>
    public static Dictionary<string, string?> UnusedAzureSettings() => new()
    {
        ["Cosmos:Endpoint"] = "https://unused.documents.azure.com:443/",
        ["Storage:BlobServiceUri"] = "https://unused.blob.core.windows.net",
        ["Storage:QueueServiceUri"] = "https://unused.queue.core.windows.net",
        ["SigningKeys:LocalKeyFile"] = Path.Combine(Path.GetTempPath(), $"enclave-{Guid.NewGuid():N}", "signing-key.pem"),
    };

    /// <summary>Cosmos options with a database of its own.</summary>
    public static CosmosOptions CosmosOptions(EmulatorEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return new CosmosOptions
        {
            Endpoint = endpoints.CosmosEndpoint,
            Key = endpoints.CosmosKey,
            DatabaseName = UniqueName("test"),
            ConnectionMode = endpoints.IsEmulator ? ConnectionMode.Gateway : ConnectionMode.Direct,
            LimitToEndpoint = endpoints.IsEmulator,
            CreateIfNotExists = true,
        };
    }

    /// <summary>Storage options with an export container and queue of their own.</summary>
    public static AzureStorageOptions StorageOptions(EmulatorEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return new AzureStorageOptions
        {
            ConnectionString = endpoints.StorageConnectionString,
            ExportContainerName = UniqueName("exports"),
            ExportQueueName = UniqueName("export-jobs"),
            CreateIfNotExists = true,
        };
    }
}
