using Azure.Storage.Queues;
using Enclave.Domain.Export;

namespace Enclave.Storage.Export;

/// <summary>The export work queue on Azure Queue Storage (the queue trigger of <c>ExportJob</c> reads it).</summary>
public sealed class QueueExportScheduler(QueueClient queue) : IExportScheduler
{
    /// <inheritdoc />
    public async Task ScheduleAsync(ExportJobMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await queue.SendMessageAsync(message.ToJson(), delay > TimeSpan.Zero ? delay : null, cancellationToken: cancellationToken);
    }
}
