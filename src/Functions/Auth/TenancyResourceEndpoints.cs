using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Access;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Tenancy resources under the FHIR base, for their project's admins only: Project, ClientApplication, User and
/// AccessPolicy reads, Project update (name and settings), ProjectMembership read/search/update/delete, AccessPolicy
/// create and update, and
/// <c>ClientApplication/{id}/$rotate-secret</c>. Another project's resources are indistinguishable from missing
/// ones (404); no answer ever carries a stored secret or password hash.
/// </summary>
public static class TenancyResourceEndpoints
{
    private const string Base = MetadataEndpoint.FhirBase;

    /// <summary>Maps the tenancy resource routes.</summary>
    public static void MapTenancyResourceEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup(Base).AddEndpointFilter(async (context, next) =>
            context.HttpContext.Caller().Membership.Admin
                ? await next(context)
                : FhirJson.Outcome(OperationOutcome.IssueType.Forbidden, "Only project admins read and manage tenancy resources.", StatusCodes.Status403Forbidden))
            .AddEndpointFilter(TenancyConflicts.Filter)
            .AddEndpointFilter(async (context, next) =>
                // An id no FHIR resource can have (a backslash, invalid UTF-8, 2,000 characters) is simply not there;
                // passed on, Cosmos DB would refuse it as a document id and the answer would be a 500.
                context.HttpContext.Request.RouteValues["id"] is string id && !Domain.Fhir.FhirId.IsValid(id)
                    ? FhirJson.Outcome(OperationOutcome.IssueType.NotFound, "No resource has this id (FHIR ids are [A-Za-z0-9-.]{1,64}).", StatusCodes.Status404NotFound)
                    : await next(context));

        admin.MapGet("/Project/{id}", async (string id, HttpContext http, ITenancyStore store) =>
            id == http.Caller().ProjectId && await store.GetProjectAsync(id, http.RequestAborted) is { } project
                ? Json(project) : NotFound(nameof(Project), id));

        admin.MapPut("/Project/{id}", async (string id, HttpContext http, ITenancyStore store, CallerResolver callers) =>
        {
            if (id != http.Caller().ProjectId || await store.GetProjectAsync(id, http.RequestAborted) is not { } project)
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

            var updated = project with { Name = body.Name.Trim(), Setting = body.Setting };
            await store.ReplaceProjectAsync(updated, http.RequestAborted);
            callers.Forget(id);
            return Json(updated);
        });

        admin.MapGet("/ClientApplication/{id}", async (string id, HttpContext http, ITenancyStore store) =>
            await store.FindClientAsync(id, http.RequestAborted) is { } client && client.ProjectId == http.Caller().ProjectId
                ? Json(client.Client) : NotFound(nameof(ClientApplication), id));

        admin.MapGet("/User/{id}", async (string id, HttpContext http, ITenancyStore store, IIdentityStore identity) =>
        {
            // Only members of the caller's project are visible to it, and only as it sees them: the names its own
            // membership holds, never what another project entered (ADR 0003).
            var member = await store.SearchMembershipsAsync(http.Caller().ProjectId, Reference.To(nameof(User), id).Value, null, http.RequestAborted);
            return member.Count > 0 && await identity.GetUserAsync(id, http.RequestAborted) is { } user
                ? Json(ProjectUser.Of(user, member[0])) : NotFound(nameof(User), id);
        });

        admin.MapGet("/ProjectMembership", async (string? user, string? profile, HttpContext http, ITenancyStore store) =>
        {
            var found = await store.SearchMembershipsAsync(http.Caller().ProjectId, user, profile, http.RequestAborted);
            return Json(new
            {
                resourceType = "Bundle",
                type = "searchset",
                total = found.Count,
                entry = found.Select(m => new { fullUrl = $"ProjectMembership/{m.Id}", resource = m, search = new { mode = "match" } }),
            });
        });

        admin.MapGet("/ProjectMembership/{id}", async (string id, HttpContext http, ITenancyStore store) =>
            await store.GetMembershipAsync(http.Caller().ProjectId, id, http.RequestAborted) is { } membership
                ? Json(membership) : NotFound(nameof(ProjectMembership), id));

        admin.MapPut("/ProjectMembership/{id}", async (string id, HttpContext http, ITenancyStore store, CallerResolver callers) =>
        {
            var stored = await store.GetMembershipAsync(http.Caller().ProjectId, id, http.RequestAborted);
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
            var replaced = await store.ReplaceMembershipAsync(updated, http.RequestAborted);
            callers.Forget(http.Caller().ProjectId);
            return replaced ? Json(updated) : NotFound(nameof(ProjectMembership), id);
        });

        admin.MapDelete("/ProjectMembership/{id}", async (string id, HttpContext http, ITenancyStore store, CallerResolver callers) =>
        {
            var deleted = await store.DeleteMembershipAsync(http.Caller().ProjectId, id, http.RequestAborted);
            callers.Forget(http.Caller().ProjectId);
            return deleted ? Results.NoContent() : NotFound(nameof(ProjectMembership), id);
        });

        admin.MapGet("/AccessPolicy/{id}", async (string id, HttpContext http, ITenancyStore store) =>
            await store.GetAccessPolicyAsync(http.Caller().ProjectId, id, http.RequestAborted) is { } policy
                ? Json(policy) : NotFound("AccessPolicy", id));

        admin.MapPost("/AccessPolicy", (HttpContext http, ITenancyStore store, CallerResolver callers) =>
            PutPolicyAsync(Guid.NewGuid().ToString("N"), http, store, callers, isCreate: true));

        admin.MapPut("/AccessPolicy/{id}", (string id, HttpContext http, ITenancyStore store, CallerResolver callers) =>
            PutPolicyAsync(id, http, store, callers, isCreate: false));

        admin.MapPost("/ClientApplication/{id}/$rotate-secret",
            async (string id, HttpContext http, ITenancyStore store, TimeProvider time, IOptions<AuthOptions> options) =>
            {
                var client = await store.FindClientAsync(id, http.RequestAborted);
                if (client is null || client.ProjectId != http.Caller().ProjectId)
                {
                    return NotFound(nameof(ClientApplication), id);
                }

                var secret = ClientSecrets.Generate();
                var retiresAt = time.GetUtcNow() + options.Value.SecretRetirementGrace;
                await store.UpdateClientSecretAsync(client with
                {
                    SecretHash = ClientSecrets.Hash(secret),
                    PreviousSecretHash = client.SecretHash,
                    PreviousSecretRetiresAt = retiresAt,
                }, http.RequestAborted);
                return Json(new { resourceType = nameof(ClientApplication), id, name = client.Client.Name, secret, previousSecretRetiresAt = retiresAt });
            });
    }

    /// <summary>
    /// Stores an AccessPolicy once <see cref="AccessPolicyValidator"/> has found every rule enforceable (fail closed:
    /// a rule that cannot be enforced is refused with a 400 naming it, never stored). The id comes from the address.
    /// </summary>
    private static async Task<IResult> PutPolicyAsync(string id, HttpContext http, ITenancyStore store, CallerResolver callers, bool isCreate)
    {
        var (body, problem) = await RequestJson.ReadAsync<JsonElement>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        // The validator checks every element and its JSON kind first, so nothing below reads a value of the wrong kind.
        if (AccessPolicyValidator.Validate(body).Refusal is { } refusal)
        {
            return FhirJson.Write(refusal, FhirResourceEndpoints.Format(http), StatusCodes.Status400BadRequest);
        }

        if (!isCreate && body.TryGetProperty("id", out var bodyId) && bodyId.GetString() != id)
        {
            return Invalid("The body must be an AccessPolicy whose id, if given, is the one in the address.");
        }

        var node = JsonNode.Parse(body.GetRawText())!.AsObject();
        node["id"] = id;
        var policy = JsonSerializer.SerializeToElement(node);
        var created = await store.PutAccessPolicyAsync(http.Caller().ProjectId, id, policy, http.RequestAborted);
        callers.Forget(http.Caller().ProjectId);
        return created
            ? Results.Json(policy, contentType: FhirJson.ContentType, statusCode: StatusCodes.Status201Created)
            : Json(policy);
    }

    /// <summary>FHIR's id rule: <c>[A-Za-z0-9\-\.]{1,64}</c>.</summary>
    private static IResult Json(object value) => Results.Json(value, contentType: FhirJson.ContentType);

    private static IResult Invalid(string message) =>
        FhirJson.Outcome(OperationOutcome.IssueType.Invalid, message, StatusCodes.Status400BadRequest);

    private static IResult NotFound(string type, string id) =>
        FhirJson.Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known.", StatusCodes.Status404NotFound);
}
