using Enclave.Domain.Tenancy;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Tenancy resources under the FHIR base, for their project's admins: read and delete a
/// <c>ProjectMembership</c>, and <c>ClientApplication/{id}/$rotate-secret</c>. Another project's resources are
/// indistinguishable from missing ones (404); no answer ever carries a stored secret.
/// </summary>
public static class TenancyResourceEndpoints
{
    /// <summary>Maps the tenancy resource routes.</summary>
    public static void MapTenancyResourceEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet($"{MetadataEndpoint.FhirBase}/ProjectMembership/{{id}}", async (string id, HttpContext http, ITenancyStore store) =>
        {
            var caller = http.Caller();
            if (!caller.Membership.Admin)
            {
                return Forbidden();
            }

            var membership = await store.GetMembershipAsync(caller.ProjectId, id, http.RequestAborted);
            return membership is null ? NotFound("ProjectMembership", id) : Results.Json(membership, contentType: FhirJson.ContentType);
        });

        endpoints.MapDelete($"{MetadataEndpoint.FhirBase}/ProjectMembership/{{id}}", async (string id, HttpContext http, ITenancyStore store) =>
        {
            var caller = http.Caller();
            if (!caller.Membership.Admin)
            {
                return Forbidden();
            }

            return await store.DeleteMembershipAsync(caller.ProjectId, id, http.RequestAborted) ? Results.NoContent() : NotFound("ProjectMembership", id);
        });

        endpoints.MapPost($"{MetadataEndpoint.FhirBase}/ClientApplication/{{id}}/$rotate-secret",
            async (string id, HttpContext http, ITenancyStore store, TimeProvider time, IOptions<AuthOptions> options) =>
            {
                var caller = http.Caller();
                if (!caller.Membership.Admin)
                {
                    return Forbidden();
                }

                var client = await store.FindClientAsync(id, http.RequestAborted);
                if (client is null || client.ProjectId != caller.ProjectId)
                {
                    return NotFound("ClientApplication", id);
                }

                var secret = ClientSecrets.Generate();
                var retiresAt = time.GetUtcNow() + options.Value.SecretRetirementGrace;
                await store.UpdateClientSecretAsync(client with
                {
                    SecretHash = ClientSecrets.Hash(secret),
                    PreviousSecretHash = client.SecretHash,
                    PreviousSecretRetiresAt = retiresAt,
                }, http.RequestAborted);
                return Results.Json(new
                {
                    resourceType = nameof(ClientApplication),
                    id,
                    name = client.Client.Name,
                    secret,
                    previousSecretRetiresAt = retiresAt,
                }, contentType: FhirJson.ContentType);
            });
    }

    private static IResult Forbidden() =>
        FhirJson.Outcome(OperationOutcome.IssueType.Forbidden, "Only project admins manage memberships and client applications.", StatusCodes.Status403Forbidden);

    private static IResult NotFound(string type, string id) =>
        FhirJson.Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known.", StatusCodes.Status404NotFound);
}
