using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Enclave.Functions.Health;

/// <summary><c>GET /api/health</c>: Cosmos DB and Azure Storage reachability, 200 when all are healthy, else 503.</summary>
public static class HealthEndpoint
{
    /// <summary>The route of the health report.</summary>
    public const string Route = "/api/health";

    private static readonly TimeSpan s_checkTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Registers the Cosmos and Storage checks.</summary>
    public static IServiceCollection AddEnclaveHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<CosmosHealthCheck>("cosmos", timeout: s_checkTimeout)
            .AddCheck<StorageHealthCheck>("storage", timeout: s_checkTimeout);
        return services;
    }

    /// <summary>Maps the health report, written as <c>{"status", "checks": {name: {"status", "description", "durationMs"}}}</c>.</summary>
    public static void MapEnclaveHealth(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapHealthChecks(Route, new HealthCheckOptions { ResponseWriter = WriteReportAsync }).AllowAnonymous();

    private static Task WriteReportAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
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
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
