using System.Buffers;
using System.Text.Json;
using Enclave.Domain.Access;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Domain.Tenancy;

namespace Enclave.Domain.Backup;

/// <summary>
/// One bounded step of a <see cref="RestoreJob"/>: the next lines of the backup's current file (at most
/// <see cref="MaxLinesPerStep"/>, within <see cref="MaxBytesPerStep"/>), each written into the target project as it
/// was at the backup's T — the version document with its <c>supersededAt</c>, and for the version current at T the
/// current document with a search index built anew (the ids and references it holds may be remapped), every version
/// with its compartments. Tenancy lines
/// restore the access policies (checked as a write would check them) and the project's settings; memberships, client
/// applications and users are counted and left out, since their credentials and identities are not in a backup.
/// </summary>
public sealed class RestoreStep(IRestoreJobs jobs, IExportJobStore backups, IExportFiles files, IResourceStore store, ITenancyStore tenancy)
{
    /// <summary>Versions per atomic write: two documents each at most, within a transactional batch's 100 operations.</summary>
    private const int PerBatch = 50;

    /// <summary>JSON bytes per atomic write, well within a transactional batch's 2 MB (a current document carries its index too).</summary>
    private const int BytesPerBatch = 1 << 20;

    /// <summary>Atomic writes one step keeps in flight.</summary>
    private const int InFlight = 4;

    /// <summary>The resource's JSON written back as a write stores it: compact, with no needless escapes.</summary>
    private static readonly JsonSerializerOptions s_json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>What a step left behind.</summary>
    public enum Outcome
    {
        /// <summary>Lines remain: enqueue the next step.</summary>
        More,

        /// <summary>The backup is still being written: enqueue the next step after a pause.</summary>
        Waiting,

        /// <summary>Complete, failed, or taken over by another delivery: nothing to enqueue.</summary>
        Done,
    }

    /// <summary>The most lines one step restores.</summary>
    public int MaxLinesPerStep { get; init; } = 1000;

    /// <summary>The most bytes one step reads: more than any line holds (a stored resource stays under 2 MB).</summary>
    public int MaxBytesPerStep { get; init; } = 4 << 20;

    /// <summary>Advances <paramref name="job"/> (at <paramref name="version"/>) by one run of lines.</summary>
    public async Task<Outcome> RunAsync(RestoreJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Status != RestoreStatus.Running)
        {
            return Outcome.Done;
        }

        if (job.Files is null)
        {
            return await StartAsync(job, version, cancellationToken);
        }

        if (job.File >= job.Files.Count)
        {
            return await RecordAsync(job with { Status = RestoreStatus.Completed }, version, cancellationToken);
        }

        var name = job.Files[job.File];
        await using var stream = await files.OpenReadAsync(job.SourceProjectId, job.BackupJobId, name, cancellationToken);
        if (stream is null)
        {
            return await FailAsync(job, version, $"The backup's file {name} is gone (the backup expired or was cancelled).", cancellationToken);
        }

        stream.Seek(job.Offset, SeekOrigin.Begin);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytesPerStep);
        try
        {
            var read = await FillAsync(stream, buffer, cancellationToken);
            var atEnd = job.Offset + read >= stream.Length;
            var (lines, consumed) = Lines(buffer.AsMemory(0, read), atEnd);
            if (lines.Count == 0 && !atEnd)
            {
                return await FailAsync(job, version, $"A line of {name} is longer than {MaxBytesPerStep} bytes.", cancellationToken);
            }

            var next = BackupScope.IsTenancyFile(name)
                ? await RestoreTenancyAsync(job, lines, cancellationToken)
                : await RestoreResourcesAsync(job, lines, cancellationToken);
            if (next.Failure is not null)
            {
                return await FailAsync(job, version, $"{name} at byte {job.Offset}: {next.Failure}.", cancellationToken);
            }

            var done = atEnd && job.Offset + consumed >= stream.Length;
            next = done ? next with { File = job.File + 1, Offset = 0 } : next with { Offset = job.Offset + consumed };
            return await RecordAsync(next, version, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true); // it held the project's resources
        }
    }

    /// <summary>Takes the file list once the backup is complete; waits while it runs; fails when it failed or is gone.</summary>
    private async Task<Outcome> StartAsync(RestoreJob job, string version, CancellationToken cancellationToken)
    {
        var backup = (await backups.ReadAsync(job.SourceProjectId, job.BackupJobId, cancellationToken))?.Job;
        switch (backup)
        {
            case null or { Request.Level: not ExportLevel.Backup }:
                return await FailAsync(job, version, "The backup is not known: it expired, was cancelled, or is not a backup.", cancellationToken);
            case { Status: ExportStatus.Running }:
                return Outcome.Waiting;
            case { Status: ExportStatus.Failed }:
                return await FailAsync(job, version, $"The backup failed: {backup.Failure}", cancellationToken);
            default:
                IReadOnlyList<string> names = [.. backup.Types.SelectMany(t => t.Files.Where(f => f.Count > 0).Select(f => f.Name))];
                return await RecordAsync(job with { Files = names }, version, cancellationToken);
        }
    }

    private async Task<RestoreJob> RestoreResourcesAsync(RestoreJob job, IReadOnlyList<ReadOnlyMemory<byte>> lines, CancellationToken cancellationToken)
    {
        var ids = new RestoreIds(job.RemapIds ? job.Id : null);
        var versions = new List<StoredResource>(lines.Count);
        foreach (var bytes in lines)
        {
            var (line, problem) = BackupLine.Read(bytes.Span);
            if (line is null)
            {
                return job with { Failure = problem };
            }

            var (version, invalid) = Restored(line, ids); // a line's values were checked by BackupLine.Read; its resource is parsed here
            if (version is null)
            {
                return job with { Failure = invalid };
            }

            versions.Add(version);
        }

        var target = store.For(ProjectScope.Of(job.ProjectId));
        try
        {
            await Parallel.ForEachAsync(Batches(versions), new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken },
                async (batch, token) => await WriteAsync(target, batch, token));
        }
        catch (CommitTooLargeException tooLarge)
        {
            return job with { Failure = tooLarge.Message };
        }

        return job with { Restored = job.Restored + versions.Count };
    }

    /// <summary>
    /// <paramref name="versions"/> cut into atomic writes of at most <see cref="PerBatch"/> versions and about
    /// <see cref="BytesPerBatch"/> bytes (a current version counted four times: its version document, and a current document
    /// with the JSON and an index that may repeat its strings).
    /// </summary>
    private static IEnumerable<List<StoredResource>> Batches(List<StoredResource> versions)
    {
        var batch = new List<StoredResource>();
        long bytes = 0;
        foreach (var version in versions)
        {
            var size = version.Json.Length * (version.SupersededAt is null ? 4L : 1L);
            if (batch.Count > 0 && (batch.Count == PerBatch || bytes + size > BytesPerBatch))
            {
                yield return batch;
                (batch, bytes) = ([], 0);
            }

            batch.Add(version);
            bytes += size;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>Writes <paramref name="batch"/>; one the store finds too large (the size was estimated) is written in halves.</summary>
    private static async Task WriteAsync(IProjectResources target, List<StoredResource> batch, CancellationToken cancellationToken)
    {
        try
        {
            await target.RestoreAsync(batch, cancellationToken);
        }
        catch (CommitTooLargeException) when (batch.Count > 1)
        {
            await WriteAsync(target, [.. batch.Take(batch.Count / 2)], cancellationToken);
            await WriteAsync(target, [.. batch.Skip(batch.Count / 2)], cancellationToken);
        }
    }

    /// <summary>
    /// The version to store: its id (and references) as restored, and a search index when it is current and not a
    /// deletion; or why the line cannot be restored, which fails the restore with that reason (a line of the backup's own
    /// writing never is refused, but a file is only bytes).
    /// </summary>
    internal static (StoredResource? Version, string? Problem) Restored(BackupLine line, RestoreIds ids)
    {
        var id = ids.Map(line.Type, line.Id);
        if (line.Resource is null)
        {
            return (new StoredResource(line.Type, id, line.VersionId, line.LastUpdated, true, string.Empty, string.Empty) { SupersededAt = line.SupersededAt }, null);
        }

        try
        {
            ids.Rewrite(line.Type, line.Resource);
        }
        catch (InvalidOperationException)
        {
            return (null, $"{line.Type}/{line.Id} version {line.VersionId} has an id or reference that is not a string");
        }

        var json = line.Resource.ToJsonString(s_json);
        if (!ResourceParser.TryParse(json, out var resource, out var outcome))
        {
            return (null, $"{line.Type}/{line.Id} version {line.VersionId} does not parse: {outcome?.Issue.FirstOrDefault()?.Diagnostics}");
        }

        // Every version is indexed: the current one for searches, an earlier one for its compartments (which erasure reads).
        return (new StoredResource(line.Type, id, line.VersionId, line.LastUpdated, false, json, string.Empty)
        {
            SupersededAt = line.SupersededAt,
            Index = ResourceIndexer.Index(resource!),
        }, null);
    }

    private async Task<RestoreJob> RestoreTenancyAsync(RestoreJob job, IReadOnlyList<ReadOnlyMemory<byte>> lines, CancellationToken cancellationToken)
    {
        var (restored, skipped) = (0, 0);
        foreach (var bytes in lines)
        {
            if (!JsonEscapes.AreText(bytes.Span))
            {
                return job with { Failure = JsonEscapes.Refusal };
            }

            JsonElement resource;
            try
            {
                resource = JsonDocument.Parse(bytes).RootElement.Clone();
            }
            catch (JsonException)
            {
                return job with { Failure = "a tenancy line is not JSON" };
            }

            var type = resource.ValueKind == JsonValueKind.Object && resource.TryGetProperty("resourceType", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "AccessPolicy")
            {
                // A policy is stored only as a write would store it: one this server would now refuse is not restored as enforced.
                var (_, refusal) = AccessPolicyValidator.Validate(resource);
                if (refusal is not null || !resource.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { } policyId || !FhirId.IsValid(policyId))
                {
                    return job with { Failure = $"an access policy is refused: {refusal?.Issue.FirstOrDefault()?.Diagnostics ?? "no valid id"}" };
                }

                await tenancy.PutAccessPolicyAsync(job.ProjectId, policyId, resource, cancellationToken);
                restored++;
            }
            else if (type == nameof(Project) && ProjectOf(resource) is { } source
                && await tenancy.GetProjectAsync(job.ProjectId, cancellationToken) is { } project)
            {
                // The settings (retention and the like), not the links or exports: those relate it to other projects.
                await tenancy.ReplaceProjectAsync(project with { Setting = source.Setting }, cancellationToken);
                restored++;
            }
            else
            {
                skipped++;
            }
        }

        return job with { TenancyRestored = job.TenancyRestored + restored, TenancySkipped = job.TenancySkipped + skipped };
    }

    private static Project? ProjectOf(JsonElement resource)
    {
        try
        {
            return resource.Deserialize<Project>();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends.</summary>
    private static async Task<int> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return read;
    }

    /// <summary>The whole lines of <paramref name="bytes"/> (at most <see cref="MaxLinesPerStep"/>) and the bytes they take, line breaks included.</summary>
    private (IReadOnlyList<ReadOnlyMemory<byte>> Lines, int Consumed) Lines(ReadOnlyMemory<byte> bytes, bool atEnd)
    {
        var lines = new List<ReadOnlyMemory<byte>>();
        var at = 0;
        while (lines.Count < MaxLinesPerStep && at < bytes.Length)
        {
            var end = bytes.Span[at..].IndexOf((byte)'\n');
            if (end < 0)
            {
                if (!atEnd)
                {
                    break; // the rest of this line is in the next step's read
                }

                end = bytes.Length - at;
            }

            if (end > 0)
            {
                lines.Add(bytes.Slice(at, end).ToArray()); // a copy: the buffer goes back to the pool
            }

            at = Math.Min(bytes.Length, at + end + 1);
        }

        return (lines, at);
    }

    private async Task<Outcome> FailAsync(RestoreJob job, string version, string why, CancellationToken cancellationToken)
    {
        await jobs.ReplaceAsync(job with { Status = RestoreStatus.Failed, Failure = why }, version, cancellationToken);
        return Outcome.Done;
    }

    /// <summary>Records <paramref name="job"/>: More while it runs, Done when it ended or another delivery got there first.</summary>
    private async Task<Outcome> RecordAsync(RestoreJob job, string version, CancellationToken cancellationToken) =>
        await jobs.ReplaceAsync(job, version, cancellationToken) is not null && job.Status == RestoreStatus.Running ? Outcome.More : Outcome.Done;
}
