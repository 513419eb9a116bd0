using Azure.Core;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>Creates the process-wide <see cref="CosmosClient"/> from <see cref="CosmosOptions"/>.</summary>
public static class CosmosClientFactory
{
    /// <summary>
    /// Creates a client that uses the key when one is configured (the local emulator) and
    /// <paramref name="credential"/> otherwise, with <paramref name="handlers"/> (e.g. <see cref="CosmosRequestMetrics"/>
    /// counting its requests) in its pipeline, in order. Enclave works on streams, so no serializer is configured. The
    /// SDK's own retries on throttling are left at their defaults (9 within 30 s, each after the server's
    /// retry-after): an interactive request waits at most that long before it answers 429 (<see cref="CosmosFailures"/>).
    /// Writes answer without the written document: Enclave never reads it back from the answer (an ETag comes in the
    /// headers and in each batch result), so the service does not serialise it, nor the client receive and parse it: for
    /// every audit record, every resource write and every export checkpoint.
    /// </summary>
    public static CosmosClient Create(CosmosOptions options, TokenCredential credential, params RequestHandler[] handlers)
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
            EnableContentResponseOnWrite = false,
        };
        foreach (var handler in handlers)
        {
            clientOptions.CustomHandlers.Add(handler);
        }

        return string.IsNullOrEmpty(options.Key)
            ? new CosmosClient(endpoint, credential, clientOptions)
            : new CosmosClient(endpoint, options.Key, clientOptions);
    }
}
