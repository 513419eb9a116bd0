using System.Globalization;
using System.Text;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Export;

/// <summary>
/// One bounded step of an export: the next page of the current type, searched as the job's membership (its policy's
/// filter and hidden fields apply, linked projects are not reached) with <c>_lastUpdated ≤ T</c>. The page is staged as
/// a block under an id new to this attempt and recorded in the job under the ETag of the version the step read. When
/// every type is done, each file is committed as its recorded list. A duplicate or stale delivery loses the ETag race,
/// and what it staged is never part of a file.
/// </summary>
/// <param name="jobs">The job store.</param>
/// <param name="files">The export files.</param>
/// <param name="pageSize">Resources per page (one block).</param>
/// <param name="retention">How long a job lives after its last step, and its files after it completes.</param>
/// <param name="time">The clock.</param>
public sealed class ExportStep(IExportJobStore jobs, IExportFiles files, int pageSize, TimeSpan retention, TimeProvider time)
{
    /// <summary>Empty pages (types the caller has nothing of) one step may pass over before it yields.</summary>
    private const int MaxQueriesPerStep = 50;

    /// <summary>What a step left behind.</summary>
    public enum Outcome
    {
        /// <summary>Steps remain: enqueue the next.</summary>
        More,

        /// <summary>The job is complete, failed, cancelled or taken over by another delivery: nothing to enqueue.</summary>
        Done,
    }

    /// <summary>Member patients per search of a Patient (with <c>patient</c>) or Group export: one search's compartment list.</summary>
    public int MemberChunkSize { get; init; } = 100;

    /// <summary>The file a type is written to.</summary>
    public static string FileName(string type) => $"{type}.ndjson";

    /// <summary>The file a type's resources, or its deletions (transaction Bundles), are written to.</summary>
    public static string FileName(ExportTypeProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return progress.Deleted ? $"{progress.Type}.deleted.ndjson" : FileName(progress.Type);
    }

    /// <summary>Advances <paramref name="job"/> (at <paramref name="version"/>) by at most one written page.</summary>
    public async Task<Outcome> RunAsync(ExportJob job, string version, FhirRepository repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(repository);
        var scope = new ExportScope(job, repository, pageSize, MemberChunkSize);
        for (var query = 0; query < MaxQueriesPerStep; query++)
        {
            if (job.Status != ExportStatus.Running)
            {
                return Outcome.Done;
            }

            if (job.Current is not { } current)
            {
                return await FinishAsync(job, version, cancellationToken);
            }

            var (lines, position, refusal) = await scope.NextAsync(current, cancellationToken);
            if (refusal is not null && !refusal.Issue.All(i => i.Code == OperationOutcome.IssueType.Forbidden))
            {
                // Only a type the membership may not search is passed over (search would not show it); any other refusal stops the job.
                var failed = job with { Status = ExportStatus.Failed, Failure = $"{current.Type} could not be exported: {refusal.Issue.FirstOrDefault()?.Diagnostics}" };
                await RecordAsync(failed, version, cancellationToken);
                return Outcome.Done;
            }

            if (lines.Count == 0)
            {
                // An empty page or a type passed over writes nothing: it is recorded with the next page written (repeating
                // it after a crash finds the same nothing, since every query is bounded by T).
                job = With(job, refusal is null ? position : current with { Done = true, Continuation = null });
                continue;
            }

            var blockId = ExportTypeProgress.NewBlockId(current.BlockIds.Count);
            await files.StageAsync(job.ProjectId, job.Id, FileName(current), blockId, Lines(lines), cancellationToken);
            var next = With(job, position with
            {
                Count = current.Count + lines.Count,
                BlockIds = [.. current.BlockIds, blockId],
            });
            if (await RecordAsync(next, version, cancellationToken) is not { } recorded)
            {
                return Outcome.Done;
            }

            return next.Current is null ? await FinishAsync(next, recorded, cancellationToken) : Outcome.More;
        }

        return await RecordAsync(job, version, cancellationToken) is null ? Outcome.Done : Outcome.More;
    }

    /// <summary>
    /// Commits every file as recorded, then marks the job complete. Files are committed only here, when every block
    /// list is final: a commit drops the blocks it does not name, so an earlier commit arriving late could drop a
    /// block recorded after it; final lists are the same whoever commits them, and in whatever order.
    /// </summary>
    private async Task<Outcome> FinishAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        foreach (var type in job.Types.Where(t => t.BlockIds.Count > 0))
        {
            await files.CommitAsync(job.ProjectId, job.Id, FileName(type), type.BlockIds, cancellationToken);
        }

        await RecordAsync(job with { Status = ExportStatus.Completed }, version, cancellationToken);
        return Outcome.Done;
    }

    /// <summary>
    /// Records the job (its life extended by <c>retention</c> from now): its new version, or null when another delivery
    /// or a cancel got there first. A cancel that raced the step may leave a staged block; the step removes the job's files.
    /// </summary>
    private async Task<string?> RecordAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        if (await jobs.ReplaceAsync(job with { ExpiresAt = time.GetUtcNow() + retention }, version, cancellationToken) is { } recorded)
        {
            return recorded;
        }

        if (await jobs.ReadAsync(job.ProjectId, job.Id, cancellationToken) is null)
        {
            await files.DeleteAsync(job.ProjectId, job.Id, cancellationToken);
        }

        return null;
    }

    private static ExportJob With(ExportJob job, ExportTypeProgress progress) =>
        job with { Types = [.. job.Types.Select(t => t.Type == progress.Type && t.Deleted == progress.Deleted ? progress : t)] };

    /// <summary>An instant as the search parser reads it, to the millisecond (T itself is taken to the millisecond at kick-off).</summary>
    public static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>One line per resource: its JSON, which is compact, so it holds no line break.</summary>
    private static byte[] Lines(IReadOnlyList<string> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
