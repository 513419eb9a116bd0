namespace Enclave.Domain.Export;

/// <summary>The export work queue: each message it schedules asks for one step of a job.</summary>
public interface IExportScheduler
{
    /// <summary>Enqueues a step of the message's job, visible after <paramref name="delay"/> (zero: at once).</summary>
    Task ScheduleAsync(ExportJobMessage message, TimeSpan delay, CancellationToken cancellationToken);
}
