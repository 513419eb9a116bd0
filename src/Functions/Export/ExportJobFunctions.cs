using Azure.Storage.Queues.Models;
using Enclave.Domain.Backup;
using Enclave.Domain.Erasure;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Auth;
using Enclave.Functions.Hosting;
using Enclave.Storage.Tenancy;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Export;

/// <summary>
/// The export work queue's function: each delivery advances one job by one <see cref="ExportStep"/>, as the
/// membership that started it, and enqueues the next step while work remains. A message that is no export job
/// fails, so the host retries it and finally moves it to the poison queue; a message of a job that is gone
/// (cancelled, expired, complete) is done. When the last delivery the host allows fails, the job is marked failed,
/// so its status never stays at 202. A step the database throttles (or Blob Storage cannot serve for a moment) does
/// not fail: it is enqueued again to run after the server's retry-after, within the budget of
/// <see cref="ExportLimits.MaxThrottledRetries"/>.
/// </summary>
public sealed partial class ExportJobFunctions(
    IExportJobStore jobs, ExportStep step, CallerResolver callers, IResourceStore store, TimeProvider time, IExportScheduler work,
    IOptions<QueueHostOptions> queue, ILogger<ExportJobFunctions> logger, IErasureJobs erasures, ErasureStep erasure, CosmosProjectDeletion deletion, IExportFiles files,
    ITenancyStore tenancy, IRestoreJobs restores, RestoreStep restore, Storage.Metering.UsageLedger usage)
{
    /// <summary>The queue's name, resolved from the setting <c>Storage:ExportQueueName</c> by both hosts.</summary>
    public const string Queue = "%Storage:ExportQueueName%";

    /// <summary>The identity-based connection the Functions host reads the queue with (<c>EnclaveStorage__queueServiceUri</c>).</summary>
    public const string Connection = "EnclaveStorage";

    /// <summary>Handles one delivery of an export queue message.</summary>
    [Function("ExportJob")]
    public async Task RunAsync([QueueTrigger(Queue, Connection = Connection)] QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!ExportJobMessage.TryParse(message.MessageText, out var next))
        {
            LogUnreadable(logger, message.MessageId, message.DequeueCount);
            throw new InvalidDataException($"Queue message {message.MessageId} is not an export job message.");
        }

        var meter = Storage.Metering.StoreMeter.Begin(next.ProjectId);
        try
        {
            await DispatchAsync(next, message.DequeueCount, cancellationToken);
        }
        finally
        {
            usage.RecordBackground(next.ProjectId, meter);
        }
    }

    private async Task DispatchAsync(ExportJobMessage next, long dequeueCount, CancellationToken cancellationToken)
    {
        if (next.Kind == ErasureJob.MessageKind)
        {
            await EraseAsync(next, dequeueCount, cancellationToken);
            return;
        }

        if (next.Kind == RestoreJob.MessageKind)
        {
            await RestoreAsync(next, dequeueCount, cancellationToken);
            return;
        }

        if (next.Kind == Lifecycle.ProjectDeletionFunctions.MessageKind)
        {
            // Idempotent steps: a failed delivery is simply delivered again (and poisoned after the host's limit, the job left to be confirmed anew).
            await files.DeleteProjectAsync(next.ProjectId, cancellationToken);
            if (await deletion.StepAsync(next.ProjectId, cancellationToken))
            {
                await work.ScheduleAsync(next, TimeSpan.Zero, cancellationToken);
            }

            return;
        }

        try
        {
            try
            {
                await StepAsync(next, dequeueCount, cancellationToken);
            }
            catch (StoreThrottledException throttled) when (!cancellationToken.IsCancellationRequested)
            {
                // Not a failure: the same step runs again later. The message is done with; the one enqueued replaces it.
                var delay = await step.ThrottledAsync(next.ProjectId, next.JobId, throttled, cancellationToken);
                if (delay is { } wait)
                {
                    await work.ScheduleAsync(next, wait, cancellationToken);
                }

                LogThrottled(logger, next.JobId, dequeueCount, delay);
            }
        }
        catch (Exception) when (dequeueCount >= queue.Value.MaxDequeueCount && !cancellationToken.IsCancellationRequested)
        {
            // The host will not deliver this step again: the job must say it failed rather than run forever.
            if (await jobs.ReadAsync(next.ProjectId, next.JobId, CancellationToken.None) is { Job.Status: ExportStatus.Running } last)
            {
                await FailAsync(last.Job, last.Version, "The export could not be completed; start it again.", CancellationToken.None);
            }

            throw;
        }
    }

    private async Task StepAsync(ExportJobMessage next, long dequeueCount, CancellationToken cancellationToken)
    {
        if (await jobs.ReadAsync(next.ProjectId, next.JobId, cancellationToken) is not { Job.Status: ExportStatus.Running } stored)
        {
            LogGone(logger, next.JobId, dequeueCount);
            return;
        }

        if (stored.Job.Request.Level == ExportLevel.Backup)
        {
            // A backup reads every stored version as they are (its kick-off was a project or super admin's), not as a member searches.
            var backup = new BackupScope(stored.Job, store.For(ProjectScope.Of(next.ProjectId)), tenancy);
            var stepped = await step.RunAsync(stored.Job, stored.Version, backup, cancellationToken);
            if (stepped == ExportStep.Outcome.More)
            {
                await work.ScheduleAsync(next, TimeSpan.Zero, cancellationToken);
            }

            LogStepped(logger, next.JobId, dequeueCount, stepped);
            return;
        }

        if (await callers.ResolveAsync(next.ProjectId, stored.Job.MembershipId, cancellationToken) is not { } caller)
        {
            await FailAsync(stored.Job, stored.Version, "The membership that started this export no longer exists.", cancellationToken);
            return;
        }

        var outcome = await step.RunAsync(stored.Job, stored.Version, new FhirRepository(caller.Access, store, time), cancellationToken);
        if (outcome == ExportStep.Outcome.More)
        {
            await work.ScheduleAsync(next, TimeSpan.Zero, cancellationToken);
        }

        LogStepped(logger, next.JobId, dequeueCount, outcome);
    }

    /// <summary>
    /// One step of an erasure job (the work queue carries both kinds), as long as the membership that asked still
    /// administers the project. Throttling reschedules the step; the last delivery the host allows marks the job failed.
    /// </summary>
    private async Task EraseAsync(ExportJobMessage next, long dequeueCount, CancellationToken cancellationToken)
    {
        if (await erasures.ReadAsync(next.ProjectId, next.JobId, cancellationToken) is not { Job.Status: ErasureStatus.Running } stored)
        {
            LogGone(logger, next.JobId, dequeueCount);
            return;
        }

        try
        {
            if (await callers.ResolveAsync(next.ProjectId, stored.Job.MembershipId, cancellationToken) is not { Membership.Admin: true })
            {
                await erasures.ReplaceAsync(stored.Job with { Status = ErasureStatus.Failed, Failure = "The admin who asked for this erasure no longer administers the project." },
                    stored.Version, cancellationToken);
                return;
            }

            if (await erasure.RunAsync(stored.Job, stored.Version, cancellationToken))
            {
                await work.ScheduleAsync(next, TimeSpan.Zero, cancellationToken);
            }
        }
        catch (StoreThrottledException throttled) when (!cancellationToken.IsCancellationRequested)
        {
            await work.ScheduleAsync(next, throttled.RetryAfter ?? TimeSpan.FromSeconds(1), cancellationToken);
            LogThrottled(logger, next.JobId, dequeueCount, throttled.RetryAfter);
        }
        catch (Exception) when (dequeueCount >= queue.Value.MaxDequeueCount && !cancellationToken.IsCancellationRequested)
        {
            await erasures.ReplaceAsync(stored.Job with { Status = ErasureStatus.Failed, Failure = "The erasure could not be completed; ask for it again." },
                stored.Version, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// One step of a restore job: while its backup is still being written the step comes back in two seconds;
    /// throttling reschedules it; the last delivery the host allows marks the job failed.
    /// </summary>
    private async Task RestoreAsync(ExportJobMessage next, long dequeueCount, CancellationToken cancellationToken)
    {
        if (await restores.ReadAsync(next.ProjectId, next.JobId, cancellationToken) is not { Job.Status: RestoreStatus.Running } stored)
        {
            LogGone(logger, next.JobId, dequeueCount);
            return;
        }

        try
        {
            switch (await restore.RunAsync(stored.Job, stored.Version, cancellationToken))
            {
                case RestoreStep.Outcome.More:
                    await work.ScheduleAsync(next, TimeSpan.Zero, cancellationToken);
                    break;
                case RestoreStep.Outcome.Waiting:
                    // Nobody may poll the backup of a clone: its stalled steps are re-driven from here (or it fails, and so does the restore).
                    if (await step.RedriveAsync(stored.Job.SourceProjectId, stored.Job.BackupJobId, cancellationToken))
                    {
                        await work.ScheduleAsync(new ExportJobMessage(stored.Job.SourceProjectId, stored.Job.BackupJobId), TimeSpan.Zero, cancellationToken);
                    }

                    await work.ScheduleAsync(next, TimeSpan.FromSeconds(2), cancellationToken);
                    break;
            }
        }
        catch (StoreThrottledException throttled) when (!cancellationToken.IsCancellationRequested)
        {
            await work.ScheduleAsync(next, throttled.RetryAfter ?? TimeSpan.FromSeconds(1), cancellationToken);
            LogThrottled(logger, next.JobId, dequeueCount, throttled.RetryAfter);
        }
        catch (Exception) when (dequeueCount >= queue.Value.MaxDequeueCount && !cancellationToken.IsCancellationRequested)
        {
            // Read again: the step may have recorded progress before it failed, and the job must not stay running.
            if (await restores.ReadAsync(next.ProjectId, next.JobId, CancellationToken.None) is { Job.Status: RestoreStatus.Running } last)
            {
                await restores.ReplaceAsync(last.Job with { Status = RestoreStatus.Failed, Failure = "The restore could not be completed; restore into a new project." },
                    last.Version, CancellationToken.None);
            }

            throw;
        }
    }

    private Task<string?> FailAsync(ExportJob job, string version, string why, CancellationToken cancellationToken) =>
        jobs.ReplaceAsync(job with { Status = ExportStatus.Failed, Failure = why }, version, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Export job {JobId} stepped (delivery {DequeueCount}): {Outcome}.")]
    private static partial void LogStepped(ILogger logger, string jobId, long dequeueCount, ExportStep.Outcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Export job {JobId} was throttled (delivery {DequeueCount}); next attempt in {Delay} (none: failed or taken over).")]
    private static partial void LogThrottled(ILogger logger, string jobId, long dequeueCount, TimeSpan? delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Export job {JobId} is not running (cancelled, expired or done); delivery {DequeueCount} dropped.")]
    private static partial void LogGone(ILogger logger, string jobId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue message {MessageId} is not an export job message (delivery {DequeueCount}).")]
    private static partial void LogUnreadable(ILogger logger, string? messageId, long dequeueCount);
}
