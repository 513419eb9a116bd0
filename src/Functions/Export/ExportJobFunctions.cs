using Azure.Storage.Queues.Models;
using Enclave.Domain.Export;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Export;

/// <summary>
/// The export work queue's function. This stub reads and acknowledges a job message; the bulk export issue gives it
/// work to do. A message that is no export job fails the invocation, so the host retries it and, after
/// <c>maxDequeueCount</c> deliveries (host.json), moves it to the poison queue.
/// </summary>
public sealed partial class ExportJobFunctions(ILogger<ExportJobFunctions> logger)
{
    /// <summary>The queue's name, resolved from the setting <c>Storage:ExportQueueName</c> by both hosts.</summary>
    public const string Queue = "%Storage:ExportQueueName%";

    /// <summary>The identity-based connection the Functions host reads the queue with (<c>EnclaveStorage__queueServiceUri</c>).</summary>
    public const string Connection = "EnclaveStorage";

    /// <summary>Handles one delivery of an export queue message.</summary>
    [Function("ExportJob")]
    public Task RunAsync([QueueTrigger(Queue, Connection = Connection)] QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!ExportJobMessage.TryParse(message.MessageText, out var job))
        {
            LogUnreadable(logger, message.MessageId, message.DequeueCount);
            throw new InvalidDataException($"Queue message {message.MessageId} is not an export job message.");
        }

        LogReceived(logger, job.JobId, message.DequeueCount);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Export job {JobId} received (delivery {DequeueCount}).")]
    private static partial void LogReceived(ILogger logger, string jobId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue message {MessageId} is not an export job message (delivery {DequeueCount}).")]
    private static partial void LogUnreadable(ILogger logger, string? messageId, long dequeueCount);
}
