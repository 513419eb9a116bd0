using System.Buffers;
using System.Globalization;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Export;

/// <summary>
/// One bounded step of an export: the next page of the current type, searched as the job's membership (its policy's
/// filter and hidden fields apply, linked projects are not reached) with <c>_lastUpdated ≤ T</c>, cut to at most
/// <see cref="ExportLimits.MaxBlockBytes"/>. The page is staged as a block under an id new to this attempt and recorded
/// in the job under the ETag of the version the step read. A file is committed as its recorded list once that list is
/// final: when the type rolls over to its next file (<see cref="ExportLimits.MaxFileBytes"/>) or the job finishes. A
/// duplicate or stale delivery loses the ETag race, and what it staged is never part of a file.
/// </summary>
public sealed class ExportStep
{
    /// <summary>Empty pages (types the caller has nothing of) one step may pass over before it yields.</summary>
    private const int MaxQueriesPerStep = 50;

    /// <summary>
    /// How long blocks written back to back go before they are recorded together (a file rolling over, the type or the
    /// step ending records at once): a crash repeats at most this much work, and a small export pays a few job writes,
    /// not one per block.
    /// </summary>
    private static readonly TimeSpan s_checkpointEvery = TimeSpan.FromSeconds(2);

    private readonly IExportJobStore _jobs;
    private readonly IExportFiles _files;
    private readonly TimeProvider _time;

    /// <summary>Creates the step over the job store and the files, within <paramref name="limits"/>.</summary>
    public ExportStep(IExportJobStore jobs, IExportFiles files, ExportLimits limits, TimeProvider time)
    {
        _jobs = jobs;
        _files = files;
        Limits = limits;
        _time = time;
    }

    /// <summary>What a step left behind.</summary>
    public enum Outcome
    {
        /// <summary>Steps remain: enqueue the next.</summary>
        More,

        /// <summary>The job is complete, failed, cancelled or taken over by another delivery: nothing to enqueue.</summary>
        Done,
    }

    /// <summary>The bounds the step keeps.</summary>
    public ExportLimits Limits { get; }

    /// <summary>Member patients per search of a Patient (with <c>patient</c>) or Group export: one search's compartment list.</summary>
    public int MemberChunkSize { get; init; } = 100;

    /// <summary>Advances export <paramref name="job"/> (at <paramref name="version"/>) by at most one written block, searching as <paramref name="repository"/>'s caller.</summary>
    public Task<Outcome> RunAsync(ExportJob job, string version, FhirRepository repository, CancellationToken cancellationToken) =>
        RunAsync(job, version, new ExportScope(job, repository, Limits.PageSize, MemberChunkSize), cancellationToken);

    /// <summary>
    /// Advances <paramref name="job"/> (at <paramref name="version"/>) by written blocks of <paramref name="scope"/>'s
    /// pages, one after another for as long as <see cref="ExportLimits.StepDuration"/> allows (at least one). Blocks are
    /// recorded together every two seconds under the version the last record left, exactly as one
    /// delivery records one block: a crash or a rival delivery before a record loses only unrecorded blocks, which are
    /// never part of a file; what one invocation saves is the queue round trips, job reads and job writes between blocks.
    /// </summary>
    public async Task<Outcome> RunAsync(ExportJob job, string version, IExportPages scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(scope);
        if (job.Status != ExportStatus.Running)
        {
            return Outcome.Done;
        }

        var ahead = new Lookahead();
        using var hashes = new StagedHashes();
        try
        {
            return await RunAsync(job, version, scope, ahead, hashes, cancellationToken);
        }
        finally
        {
            await ahead.DropAsync();
        }
    }

    private async Task<Outcome> RunAsync(ExportJob job, string version, IExportPages scope, Lookahead ahead, StagedHashes hashes, CancellationToken cancellationToken)
    {
        var recordedAt = _time.GetUtcNow();
        var until = recordedAt + Limits.StepDuration;
        job = await CommitFinalAsync(job, hashes, cancellationToken);
        for (var query = 0; query < MaxQueriesPerStep; query++)
        {
            if (job.Current is not { } current)
            {
                // What this delivery did since its last record (blocks, then an empty page that ended the type) is recorded
                // before any file is committed: a delivery that lost the race must not commit a list the job does not hold.
                return await RecordAsync(job, version, cancellationToken) is { } caughtUp ? await FinishAsync(job, caughtUp, hashes, cancellationToken) : Outcome.Done;
            }

            var (lines, position, refusal) = await (await ahead.TakeAsync(current) ?? PageAsync(scope, current, cancellationToken));
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
                // Only the cursor moves: a page read ahead carries the files as they were before the last commit.
                job = With(job, refusal is null ? current with { Continuation = position.Continuation, Search = position.Search, Done = position.Done }
                    : current with { Done = true, Continuation = null });
                continue;
            }

            var length = lines.Sum(l => l.Length + 1);
            var file = Target(current, length);
            var blockId = ExportTypeProgress.NewBlockId(file.BlockIds.Count);
            var written = file with { Count = file.Count + lines.Count, Bytes = file.Bytes + length, BlockIds = [.. file.BlockIds, blockId] };
            var next = With(job, position with
            {
                Count = current.Count + lines.Count,
                Files = [.. current.Files.Where(f => f.Name != written.Name), written],
            });
            if (next.Current is { } following && _time.GetUtcNow() < until)
            {
                ahead.Start(following, PageAsync(scope, following, cancellationToken));
            }

            await StageAsync(job, file, blockId, lines, length, hashes, cancellationToken);
            var now = _time.GetUtcNow();
            var stop = next.Current is null || now >= until || cancellationToken.IsCancellationRequested;
            if (!stop && now - recordedAt < s_checkpointEvery && !next.Types.Any(t => t.Final.Any()))
            {
                // Not recorded yet: the next block's record carries this one too (a crash before it stages both again).
                (job, query) = (next, -1);
                continue;
            }

            if (await RecordAsync(next, version, cancellationToken) is not { } recorded)
            {
                return Outcome.Done;
            }

            if (next.Current is null)
            {
                return await FinishAsync(next, recorded, hashes, cancellationToken);
            }

            if (stop)
            {
                return Outcome.More;
            }

            // Still this delivery's turn, holding the version it just recorded: on to the next block.
            (job, version, query, recordedAt) = (await CommitFinalAsync(next, hashes, cancellationToken), recorded, -1, now);
        }

        return await RecordAsync(job, version, cancellationToken) is null ? Outcome.Done : Outcome.More;
    }

    /// <summary>
    /// After a step of job <paramref name="jobId"/> was throttled: how long to wait before it is tried again (the
    /// server's retry-after, at least an exponential backoff), recorded in the job as a heartbeat; or null when the job
    /// is gone, done or taken over, or when the budget (<see cref="ExportLimits.MaxThrottledRetries"/>) is spent, in which
    /// case the job is failed.
    /// </summary>
    public async Task<TimeSpan?> ThrottledAsync(string projectId, string jobId, StoreThrottledException throttled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(throttled);
        if (await _jobs.ReadAsync(projectId, jobId, cancellationToken) is not { Job.Status: ExportStatus.Running } stored)
        {
            return null;
        }

        var job = stored.Job;
        var now = _time.GetUtcNow();
        if (job.Throttled >= Limits.MaxThrottledRetries)
        {
            var busy = throttled.Unavailable ? "unavailable" : "busy";
            await _jobs.ReplaceAsync(job with
            {
                Status = ExportStatus.Failed,
                Failure = $"The database stayed {busy} through {job.Throttled} retries of one step; start the export again later.",
                ExpiresAt = now + Limits.Retention,
            }, stored.Version, cancellationToken);
            return null;
        }

        var backoff = TimeSpan.FromSeconds(1 << Math.Min(job.Throttled, 8));
        var wait = throttled.RetryAfter is { } asked && asked > backoff ? asked : backoff;
        var delay = TimeSpan.FromSeconds(Math.Max(1, Math.Min(Math.Ceiling(wait.TotalSeconds), Math.Floor(Limits.Lease.TotalSeconds / 2))));
        var heartbeat = job with { Throttled = job.Throttled + 1, SteppedAt = now, ExpiresAt = now + Limits.Retention };
        return await _jobs.ReplaceAsync(heartbeat, stored.Version, cancellationToken) is null ? null : delay;
    }

    /// <summary>
    /// Re-drives job <paramref name="jobId"/> if its steps stopped (nothing recorded for longer than the lease: every
    /// message lost or poisoned): true when the caller is to enqueue a step, recorded so that concurrent callers re-drive
    /// once. Past <see cref="ExportLimits.MaxRedrives"/> re-drives without progress the job is failed instead.
    /// </summary>
    public async Task<bool> RedriveAsync(string projectId, string jobId, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (await _jobs.ReadAsync(projectId, jobId, cancellationToken) is not { } stored || !stored.Job.IsStalled(now, Limits.Lease))
        {
            return false;
        }

        var job = stored.Job with { SteppedAt = now, ExpiresAt = now + Limits.Retention };
        if (job.Redrives >= Limits.MaxRedrives)
        {
            await _jobs.ReplaceAsync(job with
            {
                Status = ExportStatus.Failed,
                Failure = $"The export stopped making progress and was restarted {job.Redrives} times in vain; start it again.",
            }, stored.Version, cancellationToken);
            return false;
        }

        return await _jobs.ReplaceAsync(job with { Redrives = job.Redrives + 1 }, stored.Version, cancellationToken) is not null;
    }

    /// <summary>
    /// A page of at most <see cref="ExportLimits.PageSize"/> resources and <see cref="ExportLimits.MaxBlockBytes"/> bytes.
    /// When a page holds more bytes, it is read again from the same continuation with only as many resources as fit:
    /// the store then answers those first resources and a continuation just after them, so no resource is skipped or
    /// repeated, whatever changed in between (a count to skip on a re-read would not survive a resource leaving the page).
    /// The lines kept of a shorter page are a prefix of those kept before, so they fit.
    /// </summary>
    private async Task<ExportPage> PageAsync(IExportPages scope, ExportTypeProgress current, CancellationToken cancellationToken)
    {
        var count = Limits.PageSize;
        while (true)
        {
            var page = await scope.NextAsync(current, count, cancellationToken);
            var fit = Fitting(page.Lines);
            if (page.Refusal is not null || fit == page.Lines.Count)
            {
                return page;
            }

            count = fit; // fewer each time, and a page of one always fits: this ends
        }
    }

    /// <summary>How many leading lines fit in one block (at least one: a resource larger than a block is a block of its own).</summary>
    private int Fitting(IReadOnlyList<ReadOnlyMemory<byte>> lines)
    {
        long bytes = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            bytes += lines[i].Length + 1;
            if (bytes > Limits.MaxBlockBytes)
            {
                return Math.Max(i, 1);
            }
        }

        return lines.Count;
    }

    /// <summary>The file a block of <paramref name="bytes"/> goes to: the type's last file, or the next one when it would pass the size or block bound.</summary>
    private ExportFile Target(ExportTypeProgress progress, long bytes)
    {
        if (progress.Files.Count > 0 && progress.Files[^1] is { Committed: false } last
            && last.BlockIds.Count < ExportLimits.MaxBlocksPerFile && (last.Bytes == 0 || last.Bytes + bytes <= Limits.MaxFileBytes))
        {
            return last;
        }

        return new ExportFile(ExportTypeProgress.FileName(progress.Type, progress.Files.Count + 1, progress.Deleted), 0, 0, []);
    }

    /// <summary>
    /// Commits the files whose lists are final (see <see cref="ExportTypeProgress.Final"/>) and forgets their block ids,
    /// which keeps the job small whatever the export's size; the step records that with its progress. A final list is the
    /// same whoever commits it, and however often, so a repeat after a crash or a stale delivery changes nothing. Its
    /// SHA-256 is the one this delivery took of the blocks as it staged them when it staged them all, and otherwise
    /// read back from the committed file.
    /// </summary>
    private async Task<ExportJob> CommitFinalAsync(ExportJob job, StagedHashes hashes, CancellationToken cancellationToken)
    {
        foreach (var type in job.Types)
        {
            var committed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in type.Final)
            {
                await _files.CommitAsync(job.ProjectId, job.Id, file.Name, file.BlockIds, cancellationToken);
                committed[file.Name] = hashes.Of(file) ?? await _files.Sha256Async(job.ProjectId, job.Id, file.Name, cancellationToken); // a repeated step hashes the same bytes
            }

            if (committed.Count > 0)
            {
                // One new list per type: every file committed here is marked, not only the last.
                job = With(job, type with
                {
                    Files = [.. type.Files.Select(f => committed.TryGetValue(f.Name, out var sha) ? f with { BlockIds = [], Committed = true, Sha256 = sha } : f)],
                });
            }
        }

        return job;
    }

    /// <summary>
    /// Commits every file not yet committed, then marks the job complete. A file is committed only once its list is
    /// final: a commit drops the blocks it does not name, so an earlier commit arriving late could drop a block recorded
    /// after it; final lists are the same whoever commits them, and in whatever order.
    /// </summary>
    private async Task<Outcome> FinishAsync(ExportJob job, string version, StagedHashes hashes, CancellationToken cancellationToken)
    {
        job = await CommitFinalAsync(job, hashes, cancellationToken);
        await RecordAsync(job with { Status = ExportStatus.Completed }, version, cancellationToken);
        return Outcome.Done;
    }

    /// <summary>
    /// Records the job as progressed (its life extended by the retention from now, its heartbeat now, its retry counts
    /// cleared): its new version, or null when another delivery or a cancel got there first. A cancel that raced the step
    /// may leave a staged block; the step removes the job's files.
    /// </summary>
    private async Task<string?> RecordAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (await _jobs.ReplaceAsync(job with { ExpiresAt = now + Limits.Retention, SteppedAt = now, Throttled = 0, Redrives = 0 }, version, cancellationToken) is { } recorded)
        {
            return recorded;
        }

        if (await _jobs.ReadAsync(job.ProjectId, job.Id, cancellationToken) is null)
        {
            await _files.DeleteAsync(job.ProjectId, job.Id, cancellationToken);
        }

        return null;
    }

    /// <summary>
    /// The next page, read while the step stages the block of the one before: a page is fixed by its cursor (every
    /// query is bounded by T), so reading it early reads the same resources. At most one read is ahead, and one not
    /// taken is waited for before another read starts or the step ends.
    /// </summary>
    private sealed class Lookahead
    {
        private (ExportTypeProgress Cursor, Task<ExportPage> Page)? _read;

        public void Start(ExportTypeProgress cursor, Task<ExportPage> page) => _read = (cursor, page);

        /// <summary>The page read ahead for <paramref name="cursor"/>, or null (after any other read ahead has ended).</summary>
        public async Task<Task<ExportPage>?> TakeAsync(ExportTypeProgress cursor)
        {
            if (_read is not { } read)
            {
                return null;
            }

            if (read.Cursor.Type == cursor.Type && read.Cursor.Deleted == cursor.Deleted && read.Cursor.Search == cursor.Search
                && read.Cursor.Continuation == cursor.Continuation && read.Cursor.Done == cursor.Done)
            {
                _read = null;
                return read.Page;
            }

            await DropAsync();
            return null;
        }

        /// <summary>Waits for a read ahead nobody took, and forgets it (what it found or failed with is not needed).</summary>
        public async System.Threading.Tasks.Task DropAsync()
        {
            if (_read is { } read)
            {
                _read = null;
                await ((System.Threading.Tasks.Task)read.Page).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private static ExportJob With(ExportJob job, ExportTypeProgress progress) =>
        job with { Types = [.. job.Types.Select(t => t.Type == progress.Type && t.Deleted == progress.Deleted ? progress : t)] };

    /// <summary>An instant as the search parser reads it, to the millisecond (T itself is taken to the millisecond at kick-off).</summary>
    public static string Instant(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>
    /// Stages the block of <paramref name="lines"/>: one line per resource, its stored JSON (compact, so it holds no line
    /// break). The block is built in a pooled buffer, since a block is large enough to be a large-object allocation,
    /// which would grow the heap with the length of the export.
    /// </summary>
    private async System.Threading.Tasks.Task StageAsync(ExportJob job, ExportFile file, string blockId, IReadOnlyList<ReadOnlyMemory<byte>> lines, int length, StagedHashes hashes, CancellationToken cancellationToken)
    {
        var block = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            foreach (var line in lines)
            {
                line.Span.CopyTo(block.AsSpan(at));
                at += line.Length;
                block[at++] = (byte)'\n';
            }

            await _files.StageAsync(job.ProjectId, job.Id, file.Name, blockId, block.AsMemory(0, length), cancellationToken);
            hashes.Staged(file, block.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block, clearArray: true); // it held the project's resources
        }
    }
}
