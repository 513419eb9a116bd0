using System.Globalization;
using System.Text;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Domain.Export;

/// <summary>
/// One bounded step of an export: the next page of the current type, searched as the job's membership (its policy's
/// filter and hidden fields apply, linked projects are not reached) with <c>_lastUpdated ≤ T</c>, written as one block
/// of the type's NDJSON file, then recorded in the job — guarded by the job's version, so a duplicate delivery of the
/// same step loses the race and writes nothing the winner did not write identically.
/// </summary>
/// <param name="jobs">The job store.</param>
/// <param name="files">The export files.</param>
/// <param name="pageSize">Resources per page (one block).</param>
public sealed class ExportStep(IExportJobStore jobs, IExportFiles files, int pageSize)
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

    /// <summary>Advances <paramref name="job"/> (at <paramref name="version"/>) by at most one written page.</summary>
    public async Task<Outcome> RunAsync(ExportJob job, string version, FhirRepository repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(repository);
        for (var query = 0; query < MaxQueriesPerStep && job.Status == ExportStatus.Running; query++)
        {
            if (job.Current is not { } current)
            {
                return await FinishAsync(job, version, cancellationToken);
            }

            var (request, refusal) = SearchParser.Parse(current.Type, Snapshot(job), strict: true);
            var (page, denied) = request is null ? (null, refusal) : await repository.SearchAsync(request, current.Continuation, cancellationToken);
            if (denied is not null)
            {
                // A type the membership may not search is not exported (as search would not show it).
                var skipped = await RecordAsync(With(job, current with { Done = true, Continuation = null }), version, cancellationToken);
                if (skipped is null)
                {
                    return Outcome.Done;
                }

                (job, version) = skipped.Value;
                continue;
            }

            var lines = Lines(page!.Matches);
            if (lines.Length > 0)
            {
                await files.WriteBlockAsync(job.ProjectId, job.Id, FileName(current.Type), current.Blocks, lines, cancellationToken);
            }

            var next = current with
            {
                Continuation = page.Next,
                Done = page.Next is null,
                Count = current.Count + page.Matches.Count,
                Blocks = current.Blocks + (lines.Length > 0 ? 1 : 0),
            };
            var recorded = await RecordAsync(With(job, next), version, cancellationToken);
            if (recorded is null)
            {
                return Outcome.Done;
            }

            (job, version) = recorded.Value;
            if (lines.Length > 0)
            {
                return job.Current is null ? await FinishAsync(job, version, cancellationToken) : Outcome.More;
            }
        }

        return job.Status == ExportStatus.Running ? Outcome.More : Outcome.Done;
    }

    /// <summary>The file a type is written to.</summary>
    public static string FileName(string type) => $"{type}.ndjson";

    private async Task<Outcome> FinishAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        await RecordAsync(job with { Status = ExportStatus.Completed }, version, cancellationToken);
        return Outcome.Done;
    }

    /// <summary>The job recorded at its new version, or null when another delivery or a cancel got there first (then its files are its own business).</summary>
    private async Task<(ExportJob, string)?> RecordAsync(ExportJob job, string version, CancellationToken cancellationToken)
    {
        if (!await jobs.ReplaceAsync(job, version, cancellationToken))
        {
            // Cancelled while this step wrote: remove what the step may have put back.
            if (await jobs.ReadAsync(job.ProjectId, job.Id, cancellationToken) is null)
            {
                await files.DeleteAsync(job.ProjectId, job.Id, cancellationToken);
            }

            return null;
        }

        return await jobs.ReadAsync(job.ProjectId, job.Id, cancellationToken) is { } stored ? (stored.Job, stored.Version) : null;
    }

    private static ExportJob With(ExportJob job, ExportTypeProgress progress) =>
        job with { Types = [.. job.Types.Select(t => t.Type == progress.Type ? progress : t)] };

    /// <summary>The search that bounds a page to the snapshot: changed at or before T (and after <c>_since</c>).</summary>
    private IEnumerable<KeyValuePair<string, string>> Snapshot(ExportJob job)
    {
        yield return new("_lastUpdated", "le" + job.TransactionTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        if (job.Request.Since is { } since)
        {
            yield return new("_lastUpdated", "gt" + since.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        }

        yield return new("_count", pageSize.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>One line per resource: its stored JSON, which is compact, so it holds no line break.</summary>
    private static byte[] Lines(IReadOnlyList<StoredResource> resources)
    {
        var text = new StringBuilder();
        foreach (var resource in resources)
        {
            text.Append(resource.Json.ReplaceLineEndings(string.Empty)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
