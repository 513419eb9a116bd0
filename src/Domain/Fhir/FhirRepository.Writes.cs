using Enclave.Domain.Audit;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// The write interactions: each is one intent sent through the write pipeline (WriteAsync), as every entry of a transaction is.
public sealed partial class FhirRepository
{
    /// <summary>How often a write re-reads and retries after losing a race.</summary>
    public const int MaxAttempts = 20;

    /// <summary>create: a server-assigned id, version 1. With <paramref name="ifNoneExist"/> (a query string), an existing match is returned instead, atomically.</summary>
    public Task<Result> CreateAsync(Resource resource, string? ifNoneExist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return WriteAsync(new WriteIntent(WriteKind.Create, resource.TypeName, NewId()) { Resource = resource }, ifNoneExist, cancellationToken);
    }

    /// <summary>update (create-on-update with the client's id allowed); a no-op update keeps the version.</summary>
    public Task<Result> UpdateAsync(Resource resource, int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        return WriteAsync(new WriteIntent(WriteKind.Update, resource.TypeName, resource.Id) { Resource = resource, IfMatch = ifMatchVersion }, null, cancellationToken);
    }

    /// <summary>
    /// patch: <paramref name="apply"/> turns the current JSON into the new resource (or an outcome saying why not).
    /// The write is pinned to the version that was patched, so a concurrent write makes the patch start again from
    /// the new version (or answer 412 when the client pinned a version with If-Match).
    /// </summary>
    public Task<Result> PatchAsync(string resourceType, string id, Func<string, (Resource? Patched, OperationOutcome? Refusal)> apply,
        int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(apply);
        return WriteAsync(new WriteIntent(WriteKind.Patch, resourceType, id) { Patch = apply, IfMatch = ifMatchVersion }, null, cancellationToken);
    }

    /// <summary>delete: a new version that records the deletion; history keeps every version.</summary>
    public Task<Result> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken) =>
        WriteAsync(new WriteIntent(WriteKind.Delete, resourceType, id), null, cancellationToken);

    /// <summary>
    /// $expunge: erases <paramref name="resourceType"/>/<paramref name="id"/> and every version of it from the caller's
    /// project, for good (project admins only: 403 otherwise); 200 with how many documents went, 404 when there was
    /// nothing. Unlike delete, nothing of it stays readable, not even in history.
    /// </summary>
    public async Task<(Result Result, int Removed)> ExpungeAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        if (!access.ProjectAdmin)
        {
            return (new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden, "Only project admins expunge resources.")), 0);
        }

        if (resourceType == AuditEvents.ResourceType)
        {
            return (AuditEvents.AppendOnly, 0);
        }

        var removed = await Store.ExpungeAsync(resourceType, id, cancellationToken);
        return (removed > 0 ? new Result(200) : NotFound(resourceType, id), removed);
    }

    /// <summary>
    /// The write pipeline of one interaction: read the current version and plan against it (<see cref="PlanAsync"/>),
    /// commit, and when another write came first start again from a new read — unless the client pinned a version
    /// with If-Match, which then is 412. A conditional create (<paramref name="ifNoneExist"/>) looks for its match once
    /// the create is planned, and commits with the guard of its criteria.
    /// </summary>
    private async Task<Result> WriteAsync(WriteIntent intent, string? ifNoneExist, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            // A create that lost (its id taken, or its criteria's guard moved) starts again with a new id.
            var plan = await PlanAsync(attempt > 0 && intent.Kind == WriteKind.Create ? intent with { Id = NewId() } : intent, null, cancellationToken);
            if (plan.Answer is { } answer)
            {
                return answer;
            }

            CommitGuard[] guards = [];
            if (ifNoneExist is not null)
            {
                var (existing, guard) = await MatchForCreateAsync(intent.ResourceType, ifNoneExist, cancellationToken);
                if (existing is not null)
                {
                    return existing;
                }

                guards = [guard!];
            }

            var (committed, tooLarge) = await CommitAsync([plan], guards, cancellationToken);
            if ((tooLarge ?? committed?[0]) is { } done)
            {
                return done;
            }

            if (intent.IfMatch is not null)
            {
                return new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Another update came first."));
            }
        }

        return TooManyAttempts();
    }

    /// <summary>
    /// Commits the writes of <paramref name="plans"/> (each of which writes) and <paramref name="guards"/> to the
    /// caller's project in one atomic step: the answer of each plan in order (201 for a new resource, 200 for a new
    /// version, 204 for a deletion), or null answers when another write came first and everything must be planned
    /// again. A commit the store cannot hold is an answer (413, or 400 for too many writes), not an exception.
    /// </summary>
    public async Task<(IReadOnlyList<Result>? Committed, Result? TooLarge)> CommitAsync(IReadOnlyList<WritePlan> plans,
        IReadOnlyList<CommitGuard> guards, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var writes = plans.Select(p => p.Write ?? throw new ArgumentException("Only a plan that writes can be committed.", nameof(plans))).ToList();
        try
        {
            // The write's audit record is in the same atomic commit: a write is never without its record, nor a record without its write.
            var record = audit?.ForCommit([.. writes.Select(w => w.Version)]);
            var stored = await Store.CommitAsync(writes, guards, record is null ? [] : [record], cancellationToken);
            if (stored is not null && record is not null)
            {
                audit!.Committed(record);
            }

            return (stored?.Select(s => Present(new Result(s.Deleted ? 204 : s.VersionId == 1 ? 201 : 200, s))).ToList(), null);
        }
        catch (CommitTooLargeException ex)
        {
            return (null, TooLarge(ex));
        }
    }

    /// <summary>The answer to a write the store cannot hold: 413 for a resource too large, 400 for too many operations.</summary>
    private static Result TooLarge(CommitTooLargeException exception) =>
        new(exception.Answer.Status, null, FhirErrors.Outcome(exception.Answer.Code, exception.Message));

    /// <summary>403 when the resource is not in the project but in a linked one (read-only); null when it is in neither.</summary>
    private async Task<Result?> LinkedReadOnlyAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            if (await Linked(linked).ReadAsync(resourceType, id, cancellationToken) is not null)
            {
                return new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden,
                    $"{resourceType}/{id} belongs to a linked project: it can be read, not written."));
            }
        }

        return null;
    }

    private static Result TooManyAttempts() =>
        new(409, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Too many concurrent updates; retry."));
}
