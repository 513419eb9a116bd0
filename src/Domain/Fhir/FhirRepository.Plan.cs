using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Access;
using Enclave.Domain.Audit;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// The write plan: read current, settle accounts, authorize, check references, detect a no-op, build the next version.
public sealed partial class FhirRepository
{
    /// <summary>
    /// The plan of one write, the same for a REST interaction and a transaction entry: reads the current version
    /// (none for a create) and works out what the write comes to, without writing — a resource in a linked project
    /// is read-only (403); a patch is applied to what the caller sees of the current version; the accounts are
    /// settled, the write authorized (<see cref="Authorize"/>), its references checked (against
    /// <paramref name="pending"/> too, in a transaction), If-Match compared; then the answer of a no-op, or the next
    /// version to commit.
    /// </summary>
    public async Task<WritePlan> PlanAsync(WriteIntent intent, PendingWrites? pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intent);
        if (intent.Kind is WriteKind.Create or WriteKind.Update ? intent.Resource is null : intent.Kind == WriteKind.Patch && intent.Patch is null)
        {
            throw new ArgumentException($"A {intent.Kind} needs {(intent.Kind == WriteKind.Patch ? "a patch" : "a resource")}.", nameof(intent));
        }

        if (intent.ResourceType == AuditEvents.ResourceType)
        {
            return Answer(AuditEvents.AppendOnly);
        }

        StoredResource? current = null;
        if (intent.Kind != WriteKind.Create)
        {
            current = await Store.ReadAsync(intent.ResourceType, intent.Id, cancellationToken);
            if (current is null && await LinkedReadOnlyAsync(intent.ResourceType, intent.Id, cancellationToken) is { } readOnly)
            {
                return Answer(readOnly);
            }
        }

        if (intent.Kind == WriteKind.Delete)
        {
            return PlanDeletion(intent, current);
        }

        var (candidate, refusal) = intent.Kind == WriteKind.Patch ? Patched(intent, current) : (intent.Resource!, null);
        if (refusal is not null)
        {
            return Answer(refusal);
        }

        if (intent.Kind == WriteKind.Create)
        {
            candidate!.Id = intent.Id;
        }

        var patients = await SettleAccountsAsync(candidate!, current, pending?.Resources, cancellationToken);
        var (authorized, denied) = Authorize(intent.Kind == WriteKind.Patch ? "patch" : current is { Deleted: false } ? "update" : "create", current, candidate);
        if (denied is not null)
        {
            return Answer(denied);
        }

        if ((await CheckReferencesAsync(authorized!, pending?.References, patients, cancellationToken) ?? Stale(intent, current)) is { } refused)
        {
            return Answer(refused);
        }

        return Unchanged(current, authorized!)
            ? Answer(Present(new Result(200, current)))
            : new WritePlan(new ResourceWrite(NextVersion(authorized!, current), current), null);
    }

    private static WritePlan Answer(Result answer) => new(null, answer);

    /// <summary>
    /// The patched resource: the patch sees what the caller sees of the current version, so it cannot test or copy a
    /// hidden field; 404 for what is not there or not visible, 410 for a deletion, 400 for a patch that fails or
    /// changes the type or id.
    /// </summary>
    private (Resource? Patched, Result? Refusal) Patched(WriteIntent intent, StoredResource? current)
    {
        var (type, id) = (intent.ResourceType, intent.Id);
        if (current is null)
        {
            return (null, NotFound(type, id));
        }

        if (TypeRefusal(type, "patch") is { } forbidden)
        {
            return (null, forbidden);
        }

        if (Visible(current, "read") is not { } view)
        {
            return (null, NotFound(type, id));
        }

        if (current.Deleted)
        {
            return (null, new Result(410, current, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"{type}/{id} was deleted.")));
        }

        var (patched, refusal) = intent.Patch!(view.Json);
        if (refusal is not null)
        {
            return (null, new Result(400, null, refusal));
        }

        return patched!.TypeName != type || patched.Id != id
            ? (null, new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, "A patch cannot change the resource type or id.")))
            : (patched, null);
    }

    /// <summary>
    /// A deletion: a resource that is not there, already deleted, or not visible to the caller is deleted exactly as
    /// much as a missing one — not at all, 204 — and so is not written again.
    /// </summary>
    private WritePlan PlanDeletion(WriteIntent intent, StoredResource? current)
    {
        var denied = current is { Deleted: false } ? Authorize("delete", current, null).Refusal : null;
        if ((denied is { Status: not 404 } ? denied : Stale(intent, current)) is { } refused)
        {
            return Answer(refused);
        }

        return current is null || current.Deleted || denied is not null
            ? Answer(new Result(204))
            : new WritePlan(new ResourceWrite(Deletion(current), current), null);
    }

    /// <summary>412 when the client pinned a version (If-Match) that is not the current one.</summary>
    private static Result? Stale(WriteIntent intent, StoredResource? current) =>
        intent.IfMatch is { } expected && current?.VersionId != expected
            ? new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict,
                $"If-Match asked for version {expected}; the current version is {current?.VersionId.ToString(CultureInfo.InvariantCulture) ?? "none"}."))
            : null;

    /// <summary>
    /// Settles <paramref name="candidate"/>'s accounts before the policy judges it: a project admin's are as given;
    /// anyone else keeps the stored version's (or, creating, gets the policy's <c>compartment</c>s) — only admins set
    /// accounts. Unless the project turned it off, a resource about patients also takes their accounts (patients
    /// written in the same transaction come from <paramref name="pending"/>). Returns the patients it read, so the
    /// reference check need not read them again.
    /// </summary>
    private async Task<IReadOnlyList<StoredResource>> SettleAccountsAsync(Resource candidate, StoredResource? current,
        IReadOnlyDictionary<string, Resource>? pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var accounts = new List<string>(access.ProjectAdmin ? Accounts.Of(candidate)
            : current is { Deleted: false } && ResourceParser.TryParse(current.Json, out var stored, out _) ? Accounts.Of(stored!)
            : access.Policy.Accounts);
        var patients = new List<StoredResource>();
        if (access.InheritAccounts && candidate is not Patient)
        {
            var about = ResourceIndexer.Index(candidate, s_compartmentCodes).Compartments
                .Where(c => c.StartsWith("Patient/", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
            accounts.AddRange(about.Select(p => pending?.GetValueOrDefault(p)).OfType<Resource>().SelectMany(Accounts.Of));
            var toRead = about.Where(p => pending?.ContainsKey(p) != true).ToList();
            if (toRead.Count > 0)
            {
                patients.AddRange(await Store.ReadManyAsync(toRead, cancellationToken));
                accounts.AddRange(patients.SelectMany(p => ResourceParser.TryParse(p.Json, out var patient, out _) ? Accounts.Of(patient!) : []));
            }
        }

        Accounts.Set(candidate, accounts);
        return patients;
    }

    private static readonly HashSet<string> s_compartmentCodes = ["_compartment"];

    /// <summary>
    /// 400 naming the first reference (by FHIRPath) to a resource that is neither in the project, nor in a linked
    /// project, nor among <paramref name="pending"/> (resources written in the same transaction). Resources already
    /// read (<paramref name="known"/>) are not read again.
    /// </summary>
    private async Task<Result?> CheckReferencesAsync(Resource resource, IReadOnlySet<string>? pending, IReadOnlyList<StoredResource> known,
        CancellationToken cancellationToken)
    {
        // Accounts are tenant labels the server settles (see SettleAccountsAsync), not references the caller chose.
        var references = ReferenceCheck.References(resource)
            .Where(r => !r.Path.StartsWith($"{resource.TypeName}.meta.extension", StringComparison.Ordinal)).ToList();
        if (references.Count == 0)
        {
            return null;
        }

        foreach (var (path, reference) in references)
        {
            if (ReferenceCheck.Target(reference) is null)
            {
                return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                    $"'{reference}' is not a reference this server understands (Type/id, #contained or an absolute URL).", path));
            }
        }

        var wanted = references.Select(r => ReferenceCheck.Target(r.Reference)!)
            .Where(t => pending is null || !pending.Contains(t)).ToHashSet(StringComparer.Ordinal);
        wanted.ExceptWith(known.Where(Readable).Select(k => k.Reference));
        if (wanted.Count > 0)
        {
            wanted.ExceptWith(await ReachableAsync(Store, wanted, cancellationToken));
        }

        foreach (var linked in access.Scope.Links)
        {
            var exported = wanted.Where(w => linked.ExportedResourceTypes.Count == 0 || linked.ExportedResourceTypes.Contains(w[..w.IndexOf('/', StringComparison.Ordinal)])).ToList();
            if (exported.Count > 0)
            {
                wanted.ExceptWith(await ReachableAsync(Linked(linked.ProjectId), exported, cancellationToken));
            }
        }

        var (missingPath, missing) = references.FirstOrDefault(r => wanted.Contains(ReferenceCheck.Target(r.Reference)!));
        return missing is null
            ? null
            : new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                $"{missingPath} refers to {missing}, which is not in this project or a project it links to.", missingPath));
    }

    /// <summary>
    /// Which of <paramref name="references"/> exist in <paramref name="project"/> and the caller may read: a reference
    /// to a resource the caller cannot see is refused like one to a missing resource, so writes cannot probe.
    /// </summary>
    private async Task<IEnumerable<string>> ReachableAsync(IProjectResources project, IReadOnlyCollection<string> references, CancellationToken cancellationToken) =>
        access.Policy.IsUnrestricted
            ? await project.ExistingAsync(references, cancellationToken)
            : (await project.ReadManyAsync(references, cancellationToken)).Where(Readable).Select(r => r.Reference);

    /// <summary>
    /// Checks a write against <see cref="WriteRules"/> (400) and the caller's policy (see
    /// <see cref="EffectivePolicy.AuthorizeWrite"/>): the candidate to store, with hidden and read-only fields kept
    /// from <paramref name="current"/>; or 403 naming the rule, or 404 when the stored version is not even visible to the caller.
    /// </summary>
    private (Resource? Resource, Result? Refusal) Authorize(string interaction, StoredResource? current, Resource? candidate)
    {
        // Every write passes here, so this is where the rules of what may be stored are checked (ids, narratives).
        if (candidate is not null && WriteRules.Check(candidate) is { } invalid)
        {
            return (null, new Result(400, null, invalid));
        }

        var type = candidate?.TypeName ?? current!.ResourceType;
        if (access.Policy.IsUnrestricted)
        {
            return (candidate, TypeRefusal(type, interaction));
        }

        Resource? before = null;
        if (current is { Deleted: false } && !ResourceParser.TryParse(current.Json, out before, out _))
        {
            throw new InvalidOperationException($"The stored {current.Reference} does not parse.");
        }

        var decision = access.Policy.AuthorizeWrite(interaction, before, current?.LastUpdated ?? default, candidate, time.GetUtcNow());
        audit?.Decided(decision.Rule?.Source);
        return decision switch
        {
            { Invisible: true } => (null, NotFound(type, current!.Id)),
            { Denial: { } denial } => (null, new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden, denial, decision.Rule?.Source))),
            _ => (decision.Resource, null),
        };
    }

    /// <summary>Whether writing <paramref name="resource"/> over <paramref name="current"/> would change nothing.</summary>
    private static bool Unchanged(StoredResource? current, Resource resource) =>
        current is { Deleted: false } && SameContent(current.Json, resource);

    /// <summary>The version after <paramref name="current"/> (or version 1) with its index.</summary>
    private StoredResource NextVersion(Resource resource, StoredResource? current) => NewVersion(resource, (current?.VersionId ?? 0) + 1);

    /// <summary>The deletion version after <paramref name="current"/>.</summary>
    private StoredResource Deletion(StoredResource current) =>
        new(current.ResourceType, current.Id, current.VersionId + 1, time.GetUtcNow(), true, string.Empty, string.Empty);

    /// <summary>A new server-assigned id.</summary>
    public static string NewId() => Guid.NewGuid().ToString();

    private StoredResource NewVersion(Resource resource, int versionId)
    {
        var now = time.GetUtcNow();
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = versionId.ToString(CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        return new StoredResource(resource.TypeName, resource.Id!, versionId, now, false, JsonSerializer.Serialize(resource, ResourceParser.Options), string.Empty)
        {
            Index = ResourceIndexer.Index(resource),
        };
    }

    /// <summary>Whether the stored JSON and the candidate differ only in meta.versionId and meta.lastUpdated.</summary>
    private static bool SameContent(string storedJson, Resource candidate) =>
        JsonNode.DeepEquals(WithoutVersionMeta(JsonNode.Parse(storedJson)), WithoutVersionMeta(JsonSerializer.SerializeToNode(candidate, ResourceParser.Options)));

    private static JsonNode? WithoutVersionMeta(JsonNode? resource)
    {
        if (resource?["meta"] is JsonObject meta)
        {
            meta.Remove("versionId");
            meta.Remove("lastUpdated");
            if (meta.Count == 0)
            {
                resource.AsObject().Remove("meta");
            }
        }

        return resource;
    }
}
