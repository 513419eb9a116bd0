using System.Text.Json;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Enclave.Functions.Health;

/// <summary><c>GET /api/health</c>: Cosmos DB and Azure Storage reachability, 200 when all are healthy, else 503.</summary>
public sealed class HealthFunctions(HealthCheckService health)
{
    private static readonly TimeSpan s_checkTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Registers the Cosmos and Storage checks.</summary>
    public static IServiceCollection AddEnclaveHealthChecks(IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<CosmosHealthCheck>("cosmos", timeout: s_checkTimeout)
            .AddCheck<StorageHealthCheck>("storage", timeout: s_checkTimeout);
        return services;
    }

    /// <summary>The report, as <c>{"status", "checks": {name: {"status", "description", "durationMs"}}}</c>.</summary>
    [Function("Health")]
    [Anonymous]
    public async Task<IResult> CheckAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = "health")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var report = await health.CheckHealthAsync(cancellationToken);
        request.HttpContext.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new
                {
                    status = entry.Value.Status.ToString(),
                    description = entry.Value.Description,
                    durationMs = Math.Round(entry.Value.Duration.TotalMilliseconds, 1),
                }),
        };
        var status = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        return Results.Json(body, (JsonSerializerOptions?)null, "application/json", status);
    }
}
