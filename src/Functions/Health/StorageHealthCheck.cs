using Azure;
using Enclave.Storage.Blobs;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Enclave.Functions.Health;

/// <summary>Healthy when the export blob container and the export queue both exist and answer.</summary>
internal sealed class StorageHealthCheck(AzureStorageClients storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var container = await storage.ExportContainer.ExistsAsync(cancellationToken);
            var queue = await storage.ExportQueue.ExistsAsync(cancellationToken);
            if (container.Value && queue.Value)
            {
                return HealthCheckResult.Healthy(
                    $"Blob container {storage.ExportContainer.Name} and queue {storage.ExportQueue.Name} are reachable.");
            }

            return HealthCheckResult.Unhealthy(container.Value
                ? $"Queue {storage.ExportQueue.Name} does not exist."
                : $"Blob container {storage.ExportContainer.Name} does not exist.");
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or TaskCanceledException or AggregateException)
        {
            return HealthCheckResult.Unhealthy($"Azure Storage is unreachable: {ex.GetType().Name}.");
        }
    }
}
