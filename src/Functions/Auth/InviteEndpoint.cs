using Enclave.Domain.Tenancy;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Auth;

/// <summary>
/// <c>POST /api/admin/projects/{projectId}/invite</c> (that project's admins): creates or reuses the user with the
/// email and gives them a membership of the project with the given profile, access and admin flag.
/// </summary>
public static class InviteEndpoint
{
    /// <summary>The invitation (Medplum's shape).</summary>
    /// <param name="Email">The user's email.</param>
    /// <param name="FirstName">Given name.</param>
    /// <param name="LastName">Family name.</param>
    /// <param name="Password">The password of a new user (at least 12 characters); ignored for an existing one.</param>
    /// <param name="Profile">Who the member is in the project's data, e.g. <c>Practitioner/123</c>.</param>
    /// <param name="Admin">Whether the member administers the project.</param>
    /// <param name="Access">Access policies with their parameters.</param>
    public sealed record Invitation(string? Email, string? FirstName, string? LastName, string? Password,
        Reference? Profile, bool Admin, IReadOnlyList<MembershipAccess>? Access);

    /// <summary>Maps the invite route.</summary>
    public static void MapInviteEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/admin/projects/{projectId}/invite",
            async (string projectId, Invitation? body, HttpContext http, ITenancyStore tenancy, IIdentityStore identity) =>
            {
                if (!http.Caller().AdministersProject(projectId))
                {
                    return FhirJson.Outcome(OperationOutcome.IssueType.Forbidden, "Only this project's admins invite members.", StatusCodes.Status403Forbidden);
                }

                if (string.IsNullOrWhiteSpace(body?.Email) || !body.Email.Contains('@', StringComparison.Ordinal))
                {
                    return FhirJson.Outcome(OperationOutcome.IssueType.Invalid, "A valid email is required.", StatusCodes.Status400BadRequest);
                }

                if (Domain.Access.AccessPolicyValidator.AccessProblem(body.Access ?? [], null) is { } problem)
                {
                    return FhirJson.Outcome(OperationOutcome.IssueType.Invalid, problem, StatusCodes.Status400BadRequest);
                }

                var existing = await identity.FindUserByEmailAsync(body.Email, http.RequestAborted);
                User user;
                if (existing is { } found)
                {
                    user = found.User;
                }
                else
                {
                    if (body.Password is null || body.Password.Length < Passwords.MinimumLength)
                    {
                        return FhirJson.Outcome(OperationOutcome.IssueType.Invalid,
                            $"A new user needs a password of at least {Passwords.MinimumLength} characters.", StatusCodes.Status400BadRequest);
                    }

                    user = new User { Id = Guid.NewGuid().ToString("N"), Email = User.NormalizeEmail(body.Email), FirstName = body.FirstName, LastName = body.LastName };
                    if (!await identity.CreateUserAsync(user, Passwords.Hash(body.Password), http.RequestAborted))
                    {
                        return FhirJson.Outcome(OperationOutcome.IssueType.Conflict, "Another invitation created this user at the same time; retry.", StatusCodes.Status409Conflict);
                    }
                }

                var membership = new ProjectMembership
                {
                    Id = Guid.NewGuid().ToString("N"),
                    Project = Reference.To(nameof(Project), projectId),
                    User = Reference.To(nameof(User), user.Id),
                    Profile = body.Profile,
                    Admin = body.Admin,
                    Access = body.Access ?? [],
                };
                await tenancy.CreateMembershipAsync(membership, http.RequestAborted);
                await identity.AddMembershipAsync(user.Id, projectId, membership.Id, http.RequestAborted);
                return Results.Json(new { user, membership }, statusCode: StatusCodes.Status201Created);
            });
}
