namespace Enclave.Domain.Export;

/// <summary>
/// A Bulk Data export job as it is stored in its project's partition: who asked, what, the snapshot instant, and
/// how far each type has been written. Every queue step reads it, writes at most one page, and replaces it
/// (guarded by its version), so a duplicate or replayed message finds the work already recorded.
/// </summary>
public sealed record ExportJob
{
    /// <summary>The job id: 32 random hex digits, unguessable.</summary>
    public required string Id { get; init; }

    /// <summary>The project exported.</summary>
    public required string ProjectId { get; init; }

    /// <summary>The membership that started it: the export runs with its access, and only it (or an admin) may see it.</summary>
    public required string MembershipId { get; init; }

    /// <summary>The kick-off URL, as the manifest's <c>request</c>.</summary>
    public required string RequestUrl { get; init; }

    /// <summary>The kick-off's identity (membership and request): the same kick-off while this job runs returns this job.</summary>
    public required string KickoffKey { get; init; }

    /// <summary>What was asked for.</summary>
    public required ExportRequest Request { get; init; }

    /// <summary>The snapshot instant T: every query is bounded by <c>_lastUpdated ≤ T</c>.</summary>
    public required DateTimeOffset TransactionTime { get; init; }

    /// <summary>When the job and its files are purged.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Where the job is.</summary>
    public ExportStatus Status { get; init; } = ExportStatus.Running;

    /// <summary>Each type's progress, in the order they are written.</summary>
    public required IReadOnlyList<ExportTypeProgress> Types { get; init; }

    /// <summary>Why the job failed, for the client.</summary>
    public string? Failure { get; init; }

    /// <summary>The first type still being written, or null when every type is done.</summary>
    public ExportTypeProgress? Current => Types.FirstOrDefault(t => !t.Done);

    /// <summary>When a step last recorded progress, or a throttled or re-driven step its next attempt (null: none yet, since kick-off).</summary>
    public DateTimeOffset? SteppedAt { get; init; }

    /// <summary>Throttled attempts of the current step since the last progress.</summary>
    public int Throttled { get; init; }

    /// <summary>Re-drives (a step enqueued again after the lease ran out) since the last progress.</summary>
    public int Redrives { get; init; }

    /// <summary>
    /// A new job of <paramref name="request"/> kicked off at <paramref name="now"/> (an unguessable id; every type it
    /// covers of <paramref name="allTypes"/>, then with <c>_since</c> each one's deletions). T is to the millisecond, as
    /// search compares it, and a millisecond before the kick-off's own: a write in the kick-off's millisecond, even just
    /// after it, is then after T (and in the next export with <c>_since</c>=T).
    /// </summary>
    public static ExportJob Start(string projectId, string membershipId, string kickoffKey, string requestUrl, ExportRequest request,
        IReadOnlyList<string> allTypes, DateTimeOffset now, TimeSpan retention)
    {
        ArgumentNullException.ThrowIfNull(request);
        var types = request.TypesExported(allTypes);
        return new ExportJob
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            ProjectId = projectId,
            MembershipId = membershipId,
            KickoffKey = kickoffKey,
            RequestUrl = requestUrl,
            Request = request,
            TransactionTime = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero).AddMilliseconds(-1),
            ExpiresAt = now + retention,
            Types = [.. types.Select(t => new ExportTypeProgress(t, null, false, 0, [])),
                .. request.Since is null ? [] : types.Select(t => new ExportTypeProgress(t, null, false, 0, []) { Deleted = true })],
        };
    }

    /// <summary>Whether the job runs but nothing has been recorded for longer than <paramref name="lease"/>: its steps stopped.</summary>
    public bool IsStalled(DateTimeOffset now, TimeSpan lease) => Status == ExportStatus.Running && (SteppedAt ?? TransactionTime) + lease < now;
}
