using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Enclave.Functions.Health;

/// <summary>Healthy when Enclave's Cosmos container answers a metadata read.</summary>
internal sealed class CosmosHealthCheck(Container container) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await container.ReadContainerStreamAsync(cancellationToken: cancellationToken);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy($"Container {container.Database.Id}/{container.Id} is reachable.")
                : HealthCheckResult.Unhealthy(
                    $"Container {container.Database.Id}/{container.Id} answered {(int)response.StatusCode}.");
        }
        catch (Exception ex) when (ex is CosmosException or HttpRequestException or TaskCanceledException)
        {
            return HealthCheckResult.Unhealthy($"Cosmos DB is unreachable: {ex.GetType().Name}.");
        }
    }
}
