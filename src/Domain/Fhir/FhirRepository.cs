using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Access;
using Enclave.Domain.Audit;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The FHIR interactions of one caller: the project comes from the caller's scope, never from the request, so
/// another project's resources are simply not there; linked projects can be read and referenced, never written.
/// No write is lost: each applies to the version it read and retries when another write came first (unless the
/// client pinned a version with If-Match). Every write carries the resource's search index and is refused when a
/// reference names a resource the caller cannot reach. The caller's access policy is enforced on every path here:
/// a type it may not touch is 403, an instance it may not see is indistinguishable from a missing one (404), searches
/// carry the policy's filter into the query, hidden fields never leave and are never erased by a write. With an
/// <paramref name="audit"/>, every commit carries the interaction's audit record and the deciding rules are noted in it.
/// </summary>
public sealed partial class FhirRepository(AccessContext access, IResourceStore store, TimeProvider time, InteractionAudit? audit = null)
{
    /// <summary>The largest history page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>An answer: the HTTP status, the resource version involved, or an outcome explaining a refusal.</summary>
    public sealed record Result(int Status, StoredResource? Resource = null, OperationOutcome? Outcome = null);

    /// <summary>The invocation's audit record, when there is one (a batch notes its entries in it).</summary>
    internal InteractionAudit? Audit => audit;

    /// <summary>The caller's own project: every read and write of it, chains, includes and conditional matches.</summary>
    private IProjectResources Store { get; } = store.For(access.Scope.OwnOnly);

    /// <summary>A project the caller's links reach (read only: nothing here writes through it).</summary>
    private IProjectResources Linked(string projectId) => store.For(ProjectScope.Of(projectId));

    /// <summary>Whether the caller may read the current (not deleted) <paramref name="version"/>: no view is built.</summary>
    private bool Readable(StoredResource version) => !version.Deleted && (access.Policy.IsUnrestricted || Allowed(version, "read") is not null);

    /// <summary>The parsed <paramref name="version"/> when the caller's policy lets <paramref name="interaction"/> touch it; otherwise null.</summary>
    private Resource? Allowed(StoredResource version, string interaction)
    {
        if (!ResourceParser.TryParse(version.Json, out var resource, out _) || access.Policy.Decide(interaction, resource!, version.LastUpdated, time.GetUtcNow()) is not { } rule)
        {
            return null;
        }

        audit?.Decided(rule.Source);
        return resource;
    }

    /// <summary>403 when the caller's policy allows <paramref name="interaction"/> on no resource of <paramref name="type"/>.</summary>
    public Result? TypeRefusal(string type, string interaction) =>
        access.Policy.AllowsType(type, interaction) ? null
            : type == AuditEvents.ResourceType && interaction is "create" or "update" or "patch" or "delete" ? AuditEvents.AppendOnly
            : new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden, $"Your access policy does not allow {interaction} on {type}."));

    /// <summary>
    /// What the caller may see of <paramref name="version"/> for <paramref name="interaction"/>: null when its policy
    /// does not let it (a deletion is visible only where every resource of the type is), else the version without its
    /// hidden fields.
    /// </summary>
    private StoredResource? Visible(StoredResource version, string interaction)
    {
        if (access.Policy.IsUnrestricted)
        {
            return version;
        }

        if (version.Deleted)
        {
            return access.Policy.AllowsEvery(version.ResourceType, interaction) ? version : null;
        }

        return Allowed(version, interaction) is { } resource ? Shown(version, resource) : null;
    }

    /// <summary><paramref name="version"/> without the fields the caller's policy hides.</summary>
    private StoredResource Shown(StoredResource version) =>
        access.Policy.HidesFields(version.ResourceType) && !version.Deleted && ResourceParser.TryParse(version.Json, out var resource, out _) ? Shown(version, resource!) : version;

    private StoredResource Shown(StoredResource version, Resource resource)
    {
        if (!access.Policy.HidesFields(version.ResourceType))
        {
            return version;
        }

        var json = JsonNode.Parse(version.Json)!.AsObject();
        return access.Policy.Hide(resource, version.LastUpdated, time.GetUtcNow(), json) ? version with { Json = json.ToJsonString(s_relaxed) } : version;
    }

    private static readonly JsonSerializerOptions s_relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><paramref name="result"/> with its resource shown as the caller may see it.</summary>
    private Result Present(Result result) => result.Resource is { } resource ? result with { Resource = Shown(resource) } : result;

    private static Result NotFound(string type, string id) =>
        new(404, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known."));
}
