using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Domain.Audit;

/// <summary>
/// Where audit records live: each project's in its own partition, beside its data. The only way in is
/// <see cref="For"/>, bound to one project.
/// </summary>
public interface IAuditTrail
{
    /// <summary>The audit trail of <paramref name="projectId"/>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Read as trail.For(project), like IResourceStore.For.")]
    IProjectAuditTrail For(string projectId);
}

/// <summary>
/// One project's audit trail: records are appended (durably, before the call returns), sealed into the hash chain in
/// the order they are sealed (<see cref="AuditChain"/>), read and searched. Nothing updates or deletes a record except
/// erasure, which only removes references (their hashes stay).
/// </summary>
public interface IProjectAuditTrail
{
    /// <summary>
    /// Appends <paramref name="entries"/> atomically; when this returns they are durable. True when they were sealed into
    /// the chain as they were written; false when they wait for <see cref="SealAsync(IReadOnlyCollection{string}, CancellationToken)"/>.
    /// </summary>
    Task<bool> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken);

    /// <summary>One AuditEvent, or null.</summary>
    Task<StoredResource?> ReadAsync(string id, CancellationToken cancellationToken);

    /// <summary>A page of the AuditEvents that match <paramref name="request"/> (an AuditEvent search) and the next page's token.</summary>
    Task<(IReadOnlyList<StoredResource> Events, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the references to <paramref name="erased"/> (<c>Type/id</c>) from every record that names them
    /// (<see cref="AuditEvents.Redact"/>): their hashes stay, the chain still verifies. Returns how many records changed.
    /// </summary>
    Task<int> RedactAsync(IReadOnlySet<string> erased, CancellationToken cancellationToken);

    /// <summary>Seals every record not yet in the chain (a query over the project's trail: <c>$verify</c>'s); returns how many it sealed.</summary>
    Task<int> SealAsync(CancellationToken cancellationToken);

    /// <summary>Seals the records <paramref name="ids"/> (AuditEvent ids) that are not sealed yet, found by id; returns how many it sealed.</summary>
    Task<int> SealAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>The last sealed record, or null when nothing is sealed yet.</summary>
    Task<AuditHead?> HeadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The sealed records in sequence order, from the first one recorded at or after <paramref name="since"/> to the last one
    /// recorded at or before <paramref name="until"/> (sealing order is not quite recording order, so every record between
    /// those two is included, whatever its own time).
    /// </summary>
    IAsyncEnumerable<AuditLink> ChainAsync(DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken);
}

/// <summary>An AuditEvent to store (<see cref="AuditEvents.Build"/>) and how long it is kept.</summary>
/// <param name="Event">The AuditEvent, version 1, with its search index.</param>
/// <param name="Retention">How long the store keeps it (the project's <c>auditRetentionDays</c>).</param>
public sealed record AuditEntry(StoredResource Event, TimeSpan Retention);
