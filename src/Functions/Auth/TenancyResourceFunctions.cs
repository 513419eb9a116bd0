using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Access;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Auth;

/// <summary>
/// Tenancy resources under the FHIR base, for their project's admins only: Project, ClientApplication, User and
/// AccessPolicy reads, Project update (name and settings), ProjectMembership read/search/update/delete, AccessPolicy
/// create and update. Another project's resources are indistinguishable from missing
/// ones (404); no answer ever carries a stored secret or password hash.
/// </summary>
public sealed class TenancyResourceFunctions(ITenancyStore store, IIdentityStore identity, CallerResolver callers)
{
    /// <summary>What a member who is no project admin is told by the tenancy routes (and <c>$rotate-secret</c>).</summary>
    internal const string AdminsOnly = "Only project admins read and manage tenancy resources.";

    /// <summary><c>GET fhir/R4/Project/{id}</c>: the caller's own project only.</summary>
    [Function("ReadProject")]
    [Audited("read", "R")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> ReadProjectAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/Project/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        return id == http.Caller().ProjectId && await store.GetProjectAsync(id, cancellationToken) is { } project
            ? Json(project) : NotFound(nameof(Project), id);
    }

    /// <summary><c>PUT fhir/R4/Project/{id}</c>: its name and settings.</summary>
    [Function("UpdateProject")]
    [Audited("update", "U")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> UpdateProjectAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "fhir/R4/Project/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        if (id != http.Caller().ProjectId || await store.GetProjectAsync(id, cancellationToken) is not { } project)
        {
            return NotFound(nameof(Project), id);
        }

        var (body, problem) = await RequestJson.ReadAsync<Project>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        if (body is null || body.Id != id || string.IsNullOrWhiteSpace(body.Name))
        {
            return Invalid("The body must be this Project with a name; only its name and settings change here.");
        }

        if (SettingProblem(body.Setting) is { } invalidSetting)
        {
            return Invalid(invalidSetting);
        }

        var updated = project with { Name = body.Name.Trim(), Setting = body.Setting };
        await store.ReplaceProjectAsync(updated, cancellationToken);
        callers.Forget(id);
        return Json(updated);
    }

    /// <summary>
    /// Why a project's settings cannot be stored, naming the setting, or null: every entry has a name used once, and the
    /// settings Enclave reads have the type and range it reads (a setting it cannot read would break every request of
    /// the project).
    /// </summary>
    private static string? SettingProblem(IReadOnlyList<ProjectSetting>? settings)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (setting, i) in (settings ?? []).Select((s, i) => (s, i)))
        {
            if (setting is null || string.IsNullOrWhiteSpace(setting.Name) || !seen.Add(setting.Name))
            {
                return $"setting[{i}] needs a name that no other setting has.";
            }

            if (setting.Name == "inheritAccounts" && setting.ValueBoolean is null)
            {
                return "setting[inheritAccounts] takes valueBoolean.";
            }

            if (Domain.Metering.ProjectQuotas.Problem(setting) is { } quota)
            {
                return quota;
            }

            if (setting.Name == Audit.AuditOptions.RetentionSetting && !WholeDays(setting.ValueDecimal))
            {
                return $"setting[{Audit.AuditOptions.RetentionSetting}] takes valueDecimal, a whole number of days from {Audit.AuditOptions.MinRetentionDays} to {Audit.AuditOptions.MaxRetentionDays}.";
            }
        }

        return null;

        static bool WholeDays(decimal? days) => days is { } d && d % 1 == 0 && d is >= Audit.AuditOptions.MinRetentionDays and <= Audit.AuditOptions.MaxRetentionDays;
    }

    /// <summary><c>GET fhir/R4/ClientApplication/{id}</c>: never its secret.</summary>
    [Function("ReadClientApplication")]
    [Audited("read", "R")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> ReadClientAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/ClientApplication/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        return await store.FindClientAsync(id, cancellationToken) is { } client && client.ProjectId == http.Caller().ProjectId
            ? Json(client.Client) : NotFound(nameof(ClientApplication), id);
    }

    /// <summary><c>GET fhir/R4/User/{id}</c>: a member of the project, as the project sees them.</summary>
    [Function("ReadUser")]
    [Audited("read", "R")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> ReadUserAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/User/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        // Only members of the caller's project are visible to it, and only as it sees them: the names its own
        // membership holds, never what another project entered (ADR 0003).
        var member = await store.SearchMembershipsAsync(http.Caller().ProjectId, Reference.To(nameof(User), id).Value, null, cancellationToken);
        return member.Count > 0 && await identity.GetUserAsync(id, cancellationToken) is { } user
            ? Json(ProjectUser.Of(user, member[0])) : NotFound(nameof(User), id);
    }

    /// <summary><c>GET fhir/R4/ProjectMembership?user=&amp;profile=</c>.</summary>
    [Function("SearchMemberships")]
    [Audited("search-type", "E")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> SearchMembershipsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/ProjectMembership")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        string? user = request.Query["user"], profile = request.Query["profile"];
        var found = await store.SearchMembershipsAsync(http.Caller().ProjectId, user, profile, cancellationToken);
        return Json(new
        {
            resourceType = "Bundle",
            type = "searchset",
            total = found.Count,
            entry = found.Select(m => new { fullUrl = $"ProjectMembership/{m.Id}", resource = m, search = new { mode = "match" } }),
        });
    }

    /// <summary><c>GET fhir/R4/ProjectMembership/{id}</c>.</summary>
    [Function("ReadMembership")]
    [Audited("read", "R")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> ReadMembershipAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/ProjectMembership/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        return await store.GetMembershipAsync(http.Caller().ProjectId, id, cancellationToken) is { } membership
            ? Json(membership) : NotFound(nameof(ProjectMembership), id);
    }

    /// <summary><c>PUT fhir/R4/ProjectMembership/{id}</c>: its access, admin flag, profile and names.</summary>
    [Function("UpdateMembership")]
    [Audited("update", "U")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> UpdateMembershipAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "fhir/R4/ProjectMembership/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        var stored = await store.GetMembershipAsync(http.Caller().ProjectId, id, cancellationToken);
        if (stored is null)
        {
            return NotFound(nameof(ProjectMembership), id);
        }

        var (json, problem) = await RequestJson.ReadAsync<JsonElement>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        // An element that would be dropped (a misspelled access, Medplum's active) could leave the member unrestricted.
        if (AccessPolicyShape.CheckMembership(json) is var (shape, _))
        {
            return Invalid(shape);
        }

        ProjectMembership? body;
        try
        {
            body = json.Deserialize<ProjectMembership>();
        }
        catch (JsonException)
        {
            return Invalid("The body must be this membership, with its id, project and user.");
        }

        if (body is null || body.Id != id || body.Project != stored.Project || body.User != stored.User)
        {
            return Invalid("The body must be this membership; its id, project and user cannot change.");
        }

        if (AccessPolicyValidator.AccessProblem(body.Access, body.AccessPolicy) is { } unenforceable)
        {
            return Invalid(unenforceable);
        }

        if (body.Problem() is { } invalid)
        {
            return Invalid(invalid);
        }

        var updated = stored with
        {
            Access = body.Normalized().Access,
            Admin = body.Admin,
            Profile = body.Profile,
            AccessPolicy = body.AccessPolicy,
            FirstName = body.FirstName,
            LastName = body.LastName,
        };
        var replaced = await store.ReplaceMembershipAsync(updated, cancellationToken);
        callers.Forget(http.Caller().ProjectId);
        return replaced ? Json(updated) : NotFound(nameof(ProjectMembership), id);
    }

    /// <summary><c>DELETE fhir/R4/ProjectMembership/{id}</c>: its tokens stop working within the membership cache time.</summary>
    [Function("DeleteMembership")]
    [Audited("delete", "D")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> DeleteMembershipAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "fhir/R4/ProjectMembership/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        var deleted = await store.DeleteMembershipAsync(http.Caller().ProjectId, id, cancellationToken);
        callers.Forget(http.Caller().ProjectId);
        return deleted ? Results.NoContent() : NotFound(nameof(ProjectMembership), id);
    }

    /// <summary><c>GET fhir/R4/AccessPolicy/{id}</c>.</summary>
    [Function("ReadAccessPolicy")]
    [Audited("read", "R")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> ReadAccessPolicyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/AccessPolicy/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        return await store.GetAccessPolicyAsync(http.Caller().ProjectId, id, cancellationToken) is { } policy
            ? Json(policy) : NotFound("AccessPolicy", id);
    }

    /// <summary><c>POST fhir/R4/AccessPolicy</c>.</summary>
    [Function("CreateAccessPolicy")]
    [Audited("create", "C")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> CreateAccessPolicyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/AccessPolicy")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        return await PutPolicyAsync(Guid.NewGuid().ToString("N"), http, isCreate: true, cancellationToken);
    }

    /// <summary><c>PUT fhir/R4/AccessPolicy/{id}</c>.</summary>
    [Function("UpdateAccessPolicy")]
    [Audited("update", "U")]
    [Requires(CallerRole.ProjectAdmin, AdminsOnly)]
    public async Task<IResult> UpdateAccessPolicyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "fhir/R4/AccessPolicy/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (NotThere(id) is { } missing)
        {
            return missing;
        }

        return await PutPolicyAsync(id, http, isCreate: false, cancellationToken);
    }

    /// <summary>
    /// Stores an AccessPolicy once <see cref="AccessPolicyValidator"/> has found every rule enforceable (fail closed:
    /// a rule that cannot be enforced is refused with a 400 naming it, never stored). The id comes from the address.
    /// </summary>
    private async Task<IResult> PutPolicyAsync(string id, HttpContext http, bool isCreate, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestJson.ReadAsync<JsonElement>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        // The validator checks every element and its JSON kind first, so nothing below reads a value of the wrong kind.
        if (AccessPolicyValidator.Validate(body).Refusal is { } refusal)
        {
            return FhirJson.Write(refusal, FhirHttp.Format(http), StatusCodes.Status400BadRequest);
        }

        if (!isCreate && body.TryGetProperty("id", out var bodyId) && bodyId.GetString() != id)
        {
            return Invalid("The body must be an AccessPolicy whose id, if given, is the one in the address.");
        }

        var node = JsonNode.Parse(body.GetRawText())!.AsObject();
        node["id"] = id;
        var policy = JsonSerializer.SerializeToElement(node);
        var created = await store.PutAccessPolicyAsync(http.Caller().ProjectId, id, policy, cancellationToken);
        callers.Forget(http.Caller().ProjectId);
        return created
            ? Results.Json(policy, contentType: FhirJson.ContentType, statusCode: StatusCodes.Status201Created)
            : Json(policy);
    }

    /// <summary>FHIR's id rule: <c>[A-Za-z0-9\-\.]{1,64}</c>.</summary>
    private static IResult Json(object value) => Results.Json(value, contentType: FhirJson.ContentType);

    private static IResult Invalid(string message) => ErrorMap.Answer(ErrorKind.Invalid, message);

    private static IResult NotFound(string type, string id) => ErrorMap.Answer(ErrorKind.NotFound, $"{type}/{id} is not known.");

    /// <summary>
    /// An id no FHIR resource can have (a backslash, invalid UTF-8, 2,000 characters) is simply not there; passed on,
    /// Cosmos DB would refuse it as a document id.
    /// </summary>
    private static IResult? NotThere(string id) =>
        Domain.Fhir.FhirId.IsValid(id) ? null : ErrorMap.Answer(ErrorKind.NotFound, "No resource has this id (FHIR ids are [A-Za-z0-9-.]{1,64}).");
}
