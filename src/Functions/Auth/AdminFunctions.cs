using System.Text.Json;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Auth;

/// <summary>
/// The admin API (Medplum-compatible paths): <c>POST /api/admin/projects</c> (super admins) creates a project and
/// its first admin client; <c>POST /api/admin/projects/{projectId}/client</c> (that project's admins) adds a
/// client. A new client's secret is in the answer once and never again. <c>PUT /api/admin/projects/{projectId}/links</c>
/// (super admins) sets the projects a project links to: their resources become readable and referenceable from it,
/// never writable; <c>PUT …/{projectId}/exports</c> (super admins) limits which resource types linking projects
/// see (all when empty). A change applies at once on the instance that made it; other instances apply it within the
/// membership cache time (30 s by default).
/// </summary>
public sealed class AdminFunctions(ITenancyStore store, CallerResolver callers)
{
    /// <summary>The body of a create request.</summary>
    /// <param name="Name">The name of the project or client.</param>
    /// <param name="Description">An optional description (clients).</param>
    public sealed record CreateRequest(string? Name, string? Description);

    /// <summary><c>POST admin/projects</c>: a project and its first admin client.</summary>
    [Function("CreateProject")]
    [Audited("create", "C")]
    [Requires(CallerRole.SuperAdmin, "Only super admins create projects.")]
    public async Task<IResult> CreateProjectAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/projects")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<CreateRequest>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(body?.Name))
        {
            return Invalid("name is required.");
        }

        var projectId = Guid.NewGuid().ToString("N");
        var (client, secret, membership) = NewClient(projectId, $"{body.Name} admin client", null, admin: true);
        var project = new Project { Id = projectId, Name = body.Name.Trim(), Owner = http.Caller().Membership.User };
        await store.CreateProjectAsync(project, client, membership, cancellationToken);
        return Results.Json(new { project, client = Shown(client, secret), membership }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary><c>PUT admin/projects/{projectId}/links</c>: the projects this one reads and references.</summary>
    [Function("SetProjectLinks")]
    [Audited("update", "U")]
    [Requires(CallerRole.SuperAdmin, "Only super admins link projects.")]
    public async Task<IResult> SetLinksAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "admin/projects/{projectId}/links")] HttpRequest request, string projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (!Domain.Fhir.FhirId.IsValid(projectId))
        {
            return Results.NotFound();
        }

        var (ids, refusal) = await StringsAsync(http, "projects", "the ids of other projects");
        if (refusal is not null)
        {
            return refusal;
        }

        if (ids.FirstOrDefault(id => !Domain.Fhir.FhirId.IsValid(id) || id == projectId) is { } wrong)
        {
            return Invalid($"projects must list the ids of other projects; '{wrong}' is not one.");
        }

        if (await store.GetProjectAsync(projectId, cancellationToken) is not { } project)
        {
            return Results.NotFound();
        }

        foreach (var id in ids)
        {
            if (await store.GetProjectAsync(id, cancellationToken) is null)
            {
                return Invalid($"Project {id} does not exist.");
            }
        }

        var linked = project with { Link = [.. ids.Distinct(StringComparer.Ordinal).Select(id => new ProjectLink(Reference.To(nameof(Project), id)))] };
        await store.ReplaceProjectAsync(linked, cancellationToken);
        callers.Forget(projectId);
        return Results.Json(linked);
    }

    /// <summary><c>PUT admin/projects/{projectId}/exports</c>: the types linking projects see.</summary>
    [Function("SetProjectExports")]
    [Audited("update", "U")]
    [Requires(CallerRole.SuperAdmin, "Only super admins set what a project exports.")]
    public async Task<IResult> SetExportsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "admin/projects/{projectId}/exports")] HttpRequest request, string projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        if (!Domain.Fhir.FhirId.IsValid(projectId))
        {
            return Results.NotFound();
        }

        var (types, refusal) = await StringsAsync(http, "resourceTypes", "resource types (an empty list exports every type)");
        if (refusal is not null)
        {
            return refusal;
        }

        if (types.FirstOrDefault(t => !Domain.Fhir.ResourceTypes.IsKnown(t)) is { } unknown)
        {
            return Invalid($"'{unknown}' is not a FHIR R4 resource type.");
        }

        if (await store.GetProjectAsync(projectId, cancellationToken) is not { } project)
        {
            return Results.NotFound();
        }

        var exporting = project with { ExportedResourceType = [.. types.Distinct(StringComparer.Ordinal)] };
        await store.ReplaceProjectAsync(exporting, cancellationToken);
        callers.ForgetLinksTo(projectId);
        return Results.Json(exporting);
    }

    /// <summary><c>POST admin/projects/{projectId}/client</c>: a client application of the project.</summary>
    [Function("CreateClient")]
    [Audited("create", "C")]
    [Requires(CallerRole.ProjectAdmin, "Only this project's admins add client applications to it.")]
    public async Task<IResult> CreateClientAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/projects/{projectId}/client")] HttpRequest request, string projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<CreateRequest>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(body?.Name))
        {
            return Invalid("name is required.");
        }

        var (client, secret, membership) = NewClient(projectId, body.Name.Trim(), body.Description, admin: false);
        await store.CreateClientAsync(client, membership, cancellationToken);
        return Results.Json(new { client = Shown(client, secret), membership }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// The body's <paramref name="name"/>: an array of strings, read from the JSON itself so that a null, a number or
    /// an object in it is a 400 naming the element rather than a binding failure.
    /// </summary>
    private static async Task<(IReadOnlyList<string> Values, IResult? Refusal)> StringsAsync(HttpContext http, string name, string what)
    {
        var (body, problem) = await RequestJson.ReadAsync<JsonElement>(http.Request);
        if (problem is not null)
        {
            return ([], problem);
        }

        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return ([], Invalid($"{name} is required: an array of {what}."));
        }

        var values = new List<string>();
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return ([], Invalid($"{name}[{values.Count}] must be a string, one of {what}."));
            }

            values.Add(item.GetString()!);
        }

        return (values, null);
    }

    internal static (ClientCredentials Client, string Secret, ProjectMembership Membership) NewClient(string projectId, string name, string? description, bool admin)
    {
        var secret = ClientSecrets.Generate();
        var application = new ClientApplication { Id = Guid.NewGuid().ToString("N"), Name = name, Description = description };
        var membership = new ProjectMembership
        {
            Id = Guid.NewGuid().ToString("N"),
            Project = Reference.To(nameof(Project), projectId),
            User = Reference.To(nameof(ClientApplication), application.Id),
            Profile = Reference.To(nameof(ClientApplication), application.Id),
            Admin = admin,
        };
        return (new ClientCredentials(projectId, application, membership.Id, ClientSecrets.Hash(secret)), secret, membership);
    }

    /// <summary>The one time a secret is shown: in the answer to the request that created it.</summary>
    internal static object Shown(ClientCredentials client, string secret) => new
    {
        resourceType = nameof(ClientApplication),
        id = client.Client.Id,
        name = client.Client.Name,
        description = client.Client.Description,
        secret,
    };

    private static IResult Invalid(string message) => ErrorMap.Answer(ErrorKind.Invalid, message);
}
