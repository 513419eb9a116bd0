using System.Globalization;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Audit;

/// <summary>
/// Audit records as FHIR R4 <c>AuditEvent</c> resources, and what is true of every one: it is appended, never
/// updated or deleted through any API; each entity names its resource twice, as a reference and as the SHA-256 of
/// that reference (<see cref="ReferenceHashSystem"/>), so that erasure can drop the reference and keep the record
/// verifiable (<see cref="AuditChain"/> hashes the record without the references).
/// </summary>
public static class AuditEvents
{
    /// <summary>The resource type.</summary>
    public const string ResourceType = "AuditEvent";

    /// <summary>The identifier system of an entity's reference hash (<c>what.identifier</c>).</summary>
    public const string ReferenceHashSystem = "urn:enclave:reference-sha256";

    /// <summary>The code system of the second subtype: the Enclave function that ran.</summary>
    public const string FunctionSystem = "urn:enclave:function";

    /// <summary>The extension that carries the correlation id.</summary>
    public const string TraceIdExtension = "urn:enclave:trace-id";

    /// <summary>The refusal that answers every write of an AuditEvent through the FHIR API (405).</summary>
    public static FhirRepository.Result AppendOnly { get; } = new(405, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotSupported,
        "AuditEvents are written by the server and are append-only: they cannot be created, updated, patched or deleted."));

    /// <summary>The record as an AuditEvent of <paramref name="projectId"/>, version 1 with its search index, under a new id.</summary>
    public static StoredResource Build(AuditRecord record, string projectId)
    {
        ArgumentNullException.ThrowIfNull(record);
        var id = FhirRepository.NewId();
        var auditEvent = ToResource(record, projectId, id);
        return new StoredResource(ResourceType, id, 1, record.Recorded, false, JsonSerializer.Serialize(auditEvent, ResourceParser.Options), string.Empty)
        {
            Index = ResourceIndexer.Index(auditEvent),
        };
    }

    /// <summary>The AuditEvent POCO of <paramref name="record"/>.</summary>
    public static AuditEvent ToResource(AuditRecord record, string projectId, string id)
    {
        ArgumentNullException.ThrowIfNull(record);
        var interaction = record.Interaction;
        var requestor = new AuditEvent.AgentComponent
        {
            Requestor = true,
            Who = record.Agent.Profile is { } profile ? new ResourceReference(profile)
                : record.Agent.Membership is { } membership ? new ResourceReference("ProjectMembership/" + membership)
                : record.Agent.Who is { } who ? new ResourceReference(who) : null,
            AltId = record.Agent.Membership,
            Policy = record.Rule is null ? [] : [record.Rule],
            Network = record.Agent.Address is null ? null
                : new AuditEvent.NetworkComponent { Address = record.Agent.Address, Type = AuditEvent.AuditEventAgentNetworkType.N2 },
        };
        var agents = new List<AuditEvent.AgentComponent> { requestor };
        if (record.Agent.Who is { } holder && requestor.Who?.Reference != holder)
        {
            agents.Add(new AuditEvent.AgentComponent { Requestor = false, Who = new ResourceReference(holder) });
        }

        var entities = record.Entities.Select(Entity).ToList();
        if (record.Query is { } query)
        {
            entities.Add(new AuditEvent.EntityComponent
            {
                Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
                Query = Encoding.UTF8.GetBytes(query),
            });
        }

        return new AuditEvent
        {
            Id = id,
            Meta = new Meta { VersionId = "1", LastUpdated = record.Recorded },
            Extension = [new Extension(TraceIdExtension, new FhirString(record.TraceId))],
            Type = new Coding(interaction.TypeSystem, interaction.TypeCode),
            Subtype = [new Coding(interaction.SubtypeSystem, interaction.SubtypeCode), new Coding(FunctionSystem, record.Function)],
            Action = Enum.Parse<AuditEvent.AuditEventAction>(interaction.Action),
            Recorded = record.Recorded,
            Outcome = record.Status switch
            {
                < 400 => AuditEvent.AuditEventOutcome.N0,
                < 500 => AuditEvent.AuditEventOutcome.N4,
                _ => AuditEvent.AuditEventOutcome.N8,
            },
            OutcomeDesc = record.Status.ToString(CultureInfo.InvariantCulture) + (record.Refusal is { } refusal ? " " + refusal : string.Empty),
            Agent = agents,
            Source = new AuditEvent.SourceComponent
            {
                Site = projectId,
                Observer = new ResourceReference { Display = "Enclave" },
                Type = [new Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")],
            },
            Entity = entities,
        };
    }

    /// <summary>
    /// <paramref name="auditEventJson"/> with the references to <paramref name="erased"/> (<c>Type/id</c>, whatever the
    /// version) removed from its entities — their hashes stay, and so does the record's place in the chain, which never
    /// hashed the references — and its search index rebuilt; null when it names none of them. The JSON is edited, not
    /// re-serialised, so every other value stays byte for byte what was sealed.
    /// </summary>
    public static (string Json, ResourceIndex Index)? Redact(ReadOnlySpan<byte> auditEventJson, IReadOnlySet<string> erased)
    {
        ArgumentNullException.ThrowIfNull(erased);
        if (System.Text.Json.Nodes.JsonNode.Parse(auditEventJson) is not System.Text.Json.Nodes.JsonObject record
            || record["entity"] is not System.Text.Json.Nodes.JsonArray entities)
        {
            return null;
        }

        var changed = false;
        foreach (var what in entities.Select(e => e?["what"]).OfType<System.Text.Json.Nodes.JsonObject>())
        {
            if (what["reference"]?.GetValue<string>() is { } reference && erased.Contains(Bare(reference)))
            {
                what.Remove("reference");
                changed = true;
            }
        }

        if (!changed)
        {
            return null;
        }

        var json = record.ToJsonString();
        return ResourceParser.TryParse(json, out var parsed, out _) ? (json, ResourceIndexer.Index(parsed!)) : null;
    }

    private static string Bare(string reference) =>
        reference.IndexOf("/_history/", StringComparison.Ordinal) is >= 0 and var at ? reference[..at] : reference;

    /// <summary>The entity of an export job (the job is not a FHIR resource): <c>urn:enclave:export-job|{id}</c>.</summary>
    public const string ExportJobSystem = "urn:enclave:export-job";

    /// <summary>What <see cref="InteractionAudit.Concerns(string)"/> takes for export job <paramref name="jobId"/>.</summary>
    public static string ExportJob(string jobId) => ExportJobSystem + "|" + jobId;

    /// <summary>What <see cref="InteractionAudit.Concerns(string)"/> takes for a resource named by its hash alone (an erased one).</summary>
    public static string HashOnly(string reference) => ReferenceHashSystem + "|" + AuditQuery.Hash(reference);

    private static AuditEvent.EntityComponent Entity(string reference) => new()
    {
        What = reference.StartsWith(ExportJobSystem + "|", StringComparison.Ordinal)
            ? new ResourceReference { Identifier = new Identifier(ExportJobSystem, reference[(ExportJobSystem.Length + 1)..]) }
            : reference.StartsWith(ReferenceHashSystem + "|", StringComparison.Ordinal)
            ? new ResourceReference { Identifier = new Identifier(ReferenceHashSystem, reference[(ReferenceHashSystem.Length + 1)..]) }
            : new ResourceReference(reference) { Identifier = new Identifier(ReferenceHashSystem, AuditQuery.Hash(reference)) },
        Type = new Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
    };
}
