using Azure.Core;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>Creates the process-wide <see cref="CosmosClient"/> from <see cref="CosmosOptions"/>.</summary>
public static class CosmosClientFactory
{
    /// <summary>
    /// Creates a client that uses the key when one is configured (the local emulator) and
    /// <paramref name="credential"/> otherwise, with <paramref name="metrics"/> counting its requests. Enclave works
    /// on streams, so no serializer is configured.
    /// </summary>
    public static CosmosClient Create(CosmosOptions options, TokenCredential credential, CosmosRequestMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        var endpoint = options.Endpoint?.ToString()
            ?? throw new InvalidOperationException("Cosmos:Endpoint is not configured.");
        var clientOptions = new CosmosClientOptions
        {
            ApplicationName = "enclave",
            ConnectionMode = options.ConnectionMode,
            LimitToEndpoint = options.LimitToEndpoint,
            EnableContentResponseOnWrite = true,
        };
        if (metrics is not null)
        {
            clientOptions.CustomHandlers.Add(metrics);
        }

        return string.IsNullOrEmpty(options.Key)
            ? new CosmosClient(endpoint, credential, clientOptions)
            : new CosmosClient(endpoint, options.Key, clientOptions);
    }
}
