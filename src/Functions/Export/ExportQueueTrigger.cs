using System.Text.Json;
using Enclave.Domain.Export;
using Enclave.Functions.Hosting;

namespace Enclave.Functions.Export;

/// <summary>
/// The <c>ExportJob</c> queue-triggered function (<c>ExportJob/function.json</c>): the Functions host POSTs each
/// message of the export queue to <c>/ExportJob</c>. This stub decodes and acknowledges the message; the bulk
/// export issue gives it work to do. The route is outside <c>/api</c> because the host chooses it, and the host
/// never forwards public HTTP traffic to it (the HTTP function's route is <c>api/{*path}</c>).
/// </summary>
public static partial class ExportQueueTrigger
{
    /// <summary>The function's name, which is also the path the host POSTs to.</summary>
    public const string FunctionName = "ExportJob";

    /// <summary>The trigger's binding name in function.json.</summary>
    public const string BindingName = "message";

    /// <summary>Maps <c>POST /ExportJob</c>.</summary>
    public static void MapExportQueueTrigger(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost($"/{FunctionName}", (JsonElement payload, ILoggerFactory loggers) =>
        {
            var logger = loggers.CreateLogger(typeof(ExportQueueTrigger));
            if (!QueueTriggerInvocation.TryParse(payload, BindingName, out var invocation, out var error))
            {
                // A non-2xx answer makes the host retry and finally move the message to the poison queue.
                return Results.BadRequest(new { error });
            }

            if (!ExportJobMessage.TryParse(invocation!.MessageText, out var job))
            {
                LogUnreadable(logger, invocation.MessageId, invocation.DequeueCount);
                return Results.BadRequest(new { error = "The queue message is not an export job message." });
            }

            LogReceived(logger, job.JobId, invocation.DequeueCount);
            return Results.Json(FunctionsInvocationResult.Empty);
        }).AllowAnonymous(); // Only the Functions host reaches it: the HTTP function forwards api/* alone.

    [LoggerMessage(Level = LogLevel.Information, Message = "Export job {JobId} received (delivery {DequeueCount}).")]
    private static partial void LogReceived(ILogger logger, string jobId, int dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue message {MessageId} is not an export job message (delivery {DequeueCount}).")]
    private static partial void LogUnreadable(ILogger logger, string? messageId, int dequeueCount);
}
