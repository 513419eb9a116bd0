using Enclave.Domain.Fhir;

namespace Enclave.Domain.Audit;

/// <summary>
/// The audit record of one invocation, gathered while it runs: the invocation step says what function runs, from
/// where, and (once the caller is known) for which project and agent; the repository adds the deciding rule and the
/// resources; a write puts the record into its own commit (<see cref="ForCommit"/>), so a write and its record are
/// stored together or not at all; whatever is left is appended by the invocation step before the answer is sent
/// (<see cref="Complete"/>). A batch's entries each leave their own record besides the batch's.
/// </summary>
/// <param name="time">The clock records are stamped with.</param>
public sealed class InteractionAudit(TimeProvider time)
{
    private readonly List<AuditRecord> _entries = [];
    private readonly List<string> _entities = [];
    private readonly List<string> _committed = [];
    private string? _function;
    private AuditInteraction? _interaction;
    private string? _traceId;
    private string? _address;
    private AuditAgent? _agent;
    private string? _rule;
    private string? _query;
    private BatchEntry? _entry;

    /// <summary>The project the records go to; null while the invocation is not attributed (an anonymous caller).</summary>
    public string? ProjectId { get; private set; }

    /// <summary>How long the project keeps audit records.</summary>
    public TimeSpan Retention { get; private set; }

    /// <summary>Whether the invocation's own record was committed with a write.</summary>
    public bool Recorded { get; private set; }

    /// <summary>Starts the record: <paramref name="function"/> runs as <paramref name="interaction"/> for a client at <paramref name="address"/>.</summary>
    public void Begin(string function, AuditInteraction interaction, string traceId, string? address)
    {
        (_function, _interaction, _traceId, _address) = (function, interaction, traceId, address);
    }

    /// <summary>The interaction turned out to be <paramref name="interaction"/> (e.g. a POST to the base that is a transaction).</summary>
    public void Is(AuditInteraction interaction) => _interaction = interaction;

    /// <summary>Attributes the invocation to <paramref name="projectId"/> and <paramref name="agent"/> (the address is the invocation's).</summary>
    public void Attribute(string projectId, AuditAgent agent, TimeSpan retention)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ProjectId = projectId;
        _agent = agent with { Address = agent.Address ?? _address };
        Retention = retention;
    }

    /// <summary>The access policy rule that decided the interaction (the first one said is kept).</summary>
    public void Decided(string? rule)
    {
        if (_entry is not null)
        {
            _entry.Rule ??= rule;
        }
        else
        {
            _rule ??= rule;
        }
    }

    /// <summary>A resource the interaction concerns: <c>Type/id</c> or <c>Type/id/_history/v</c>; a more precise one replaces a less precise one.</summary>
    public void Concerns(string reference)
    {
        var entities = _entry?.Entities ?? _entities;
        var bare = Bare(reference);
        var known = entities.FindIndex(e => Bare(e) == bare);
        if (known < 0)
        {
            entities.Add(reference);
        }
        else if (reference.Length > entities[known].Length)
        {
            entities[known] = reference;
        }
    }

    /// <summary>The interaction erases <paramref name="reference"/> (<c>Type/id</c>): its record names it by its hash alone.</summary>
    public void Erases(string reference)
    {
        _entities.RemoveAll(e => Bare(e) == reference);
        _entities.Add(AuditEvents.HashOnly(reference));
    }

    /// <summary>The version <paramref name="resource"/> is a version the interaction concerns.</summary>
    public void Concerns(StoredResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        Concerns(Versioned(resource));
    }

    /// <summary>The interaction's search or operation parameters (redacted here).</summary>
    public void Searched(string? resourceType, IEnumerable<KeyValuePair<string, string>> parameters) => _query = AuditQuery.Redact(resourceType, parameters);

    /// <summary>A batch entry starts: until <see cref="EndEntry"/>, commits and concerns belong to it.</summary>
    public void BeginEntry(AuditInteraction interaction) => _entry = new BatchEntry(interaction);

    /// <summary>A batch entry ended with <paramref name="status"/>: unless its write already carried its record, it is kept for <see cref="Complete"/>.</summary>
    public void EndEntry(int status, string? refusal)
    {
        if (_entry is { } entry && !entry.Recorded && ProjectId is not null)
        {
            _entries.Add(Record(entry.Interaction, status, refusal, entry.Entities, null, entry.Rule));
        }

        _entry = null;
    }

    /// <summary>
    /// The record a commit of <paramref name="versions"/> carries — the entry's in a batch, the interaction's
    /// otherwise — or null when the invocation is not attributed (nothing is recorded for nobody).
    /// </summary>
    public AuditEntry? ForCommit(IReadOnlyList<StoredResource> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        if (ProjectId is null || _interaction is null || (_entry is null && Recorded))
        {
            return null; // nobody to attribute it to; or the interaction's one record is already committed
        }

        var interaction = _entry?.Interaction ?? _interaction;
        var status = interaction.IsTransaction || versions.Count != 1 ? 200 : versions[0].Deleted ? 204 : versions[0].VersionId == 1 ? 201 : 200;
        var entities = new List<string>(_entry?.Entities ?? _entities);
        foreach (var version in versions)
        {
            var bare = version.Reference;
            entities.RemoveAll(e => Bare(e) == bare);
            entities.Add(Versioned(version));
        }

        return Entry(Record(interaction, status, null, entities, _entry is null ? _query : null, _entry?.Rule ?? _rule));
    }

    /// <summary>The AuditEvent ids of the records commits carried (for the sealer, which finds them by id).</summary>
    public IReadOnlyList<string> CommittedRecords => _committed;

    /// <summary>The commit that carried <paramref name="record"/> (from <see cref="ForCommit"/>) succeeded.</summary>
    public void Committed(AuditEntry record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _committed.Add(record.Event.Id);
        if (_entry is not null)
        {
            _entry.Recorded = true;
        }
        else
        {
            Recorded = true;
        }
    }

    /// <summary>
    /// What is left to append once the function answered <paramref name="status"/>: the batch entries' records and,
    /// unless a commit carried it, the invocation's. Empty when the invocation is not attributed.
    /// </summary>
    public IReadOnlyList<AuditEntry> Complete(int status, string? refusal)
    {
        if (ProjectId is null || _interaction is null)
        {
            return [];
        }

        var records = new List<AuditEntry>(_entries.Count + 1);
        records.AddRange(_entries.Select(Entry));
        if (!Recorded)
        {
            records.Add(Entry(Record(_interaction, status, refusal, _entities, _query, _rule)));
        }

        _entries.Clear();
        Recorded = true;
        return records;
    }

    private AuditRecord Record(AuditInteraction interaction, int status, string? refusal, IReadOnlyList<string> entities, string? query, string? rule) => new()
    {
        Function = _function!,
        Interaction = interaction,
        Status = status,
        Recorded = time.GetUtcNow(),
        Agent = _agent!,
        Entities = [.. entities],
        Query = query,
        Rule = rule,
        Refusal = status >= 400 ? refusal : null,
        TraceId = _traceId!,
    };

    private AuditEntry Entry(AuditRecord record) => new(AuditEvents.Build(record, ProjectId!), Retention);

    private static string Versioned(StoredResource resource) =>
        $"{resource.Reference}/_history/{resource.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private static string Bare(string reference) =>
        reference.IndexOf("/_history/", StringComparison.Ordinal) is >= 0 and var at ? reference[..at] : reference;

    private sealed class BatchEntry(AuditInteraction interaction)
    {
        public AuditInteraction Interaction { get; } = interaction;

        public List<string> Entities { get; } = [];

        public string? Rule { get; set; }

        public bool Recorded { get; set; }
    }
}
