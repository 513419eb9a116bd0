using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Domain.Erasure;

/// <summary>
/// One step of an <see cref="ErasureJob"/>: up to <see cref="ResourcesPerStep"/> resources of the patient's compartment
/// are expunged (every version) and taken out of the audit trail; when none is left, the earlier versions that were in
/// the compartment of resources that have left it (deleted, or now about someone else: only those versions go); then
/// the patient itself, and the job is complete. Every step is idempotent (an expunged resource is simply not found again), so a duplicate delivery or a
/// retry after a crash finishes the job rather than breaking it.
/// </summary>
public sealed class ErasureStep(IErasureJobs jobs, IResourceStore store, IAuditTrail trail, TimeProvider time)
{
    /// <summary>Resources one step erases.</summary>
    public int ResourcesPerStep { get; init; } = 100;

    /// <summary>Runs one step of <paramref name="job"/> (read at <paramref name="version"/>); true when steps remain.</summary>
    public async Task<bool> RunAsync(ErasureJob job, string version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var resources = store.For(ProjectScope.Of(job.ProjectId));
        var (compartment, _) = SearchParser.Parse(string.Empty, [new("_compartment", job.Patient)], strict: true);
        var members = (await resources.SelectReferencesAsync(compartment!, null, ResourcesPerStep, cancellationToken))
            .Where(r => r != job.Patient).ToList();
        var (erased, documents, redacted) = (0, 0, 0);
        if (members.Count == 0)
        {
            // The compartment's current resources are gone; what is left of it are earlier versions of resources deleted
            // since or moved out of it (their current document no longer says so). Those versions go, not the resources.
            var (removed, leftOver) = await resources.ExpungeVersionsInAsync(job.Patient, ResourcesPerStep, cancellationToken);
            if (leftOver.Count > 0)
            {
                redacted = await trail.For(job.ProjectId).RedactAsync(leftOver.ToHashSet(StringComparer.Ordinal), cancellationToken);
                var progressed = job with { Documents = job.Documents + removed, Redacted = job.Redacted + redacted };
                return await jobs.ReplaceAsync(progressed, version, cancellationToken) is not null;
            }
        }

        var last = members.Count == 0;
        if (last)
        {
            members.Add(job.Patient);
        }

        foreach (var reference in members)
        {
            var slash = reference.IndexOf('/', StringComparison.Ordinal);
            var removed = await resources.ExpungeAsync(reference[..slash], reference[(slash + 1)..], cancellationToken);
            redacted += await trail.For(job.ProjectId).RedactAsync(new HashSet<string>(StringComparer.Ordinal) { reference }, cancellationToken);
            documents += removed;
            erased += removed > 0 ? 1 : 0;
        }

        var next = job with
        {
            Resources = job.Resources + erased,
            Documents = job.Documents + documents,
            Redacted = job.Redacted + redacted,
            Status = last ? ErasureStatus.Complete : ErasureStatus.Running,
            CompletedAt = last ? time.GetUtcNow() : null,
            // Once erased, the patient is named by hash alone, as the audit trail names it: the job is kept for its status.
            Patient = last ? AuditEvents.HashOnly(job.Patient) : job.Patient,
        };

        // Lost to another delivery of the same step: that one goes on.
        return await jobs.ReplaceAsync(next, version, cancellationToken) is not null && !last;
    }
}
