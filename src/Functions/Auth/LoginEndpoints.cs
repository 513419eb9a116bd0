using Enclave.Domain.Tenancy;
using Enclave.Functions.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Auth;

/// <summary>
/// The user sign-in, following Medplum's flow so its client SDK can sign users in:
/// <c>POST /api/auth/login</c> (email, password, PKCE S256 challenge) answers with an authorization code when the
/// user has one membership, or lists the memberships; <c>POST /api/auth/profile</c> chooses one and answers with
/// the code; the code is then exchanged at <c>/api/oauth2/token</c> (<c>authorization_code</c> + <c>code_verifier</c>).
/// </summary>
public static class LoginEndpoints
{
    /// <summary>How long an authorization code works.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);

    /// <summary>How long a login (and its refresh tokens) lasts.</summary>
    public static readonly TimeSpan LoginLifetime = TimeSpan.FromDays(14);

    /// <summary>The password step.</summary>
    public sealed record LoginRequest(string? Email, string? Password, string? CodeChallenge, string? CodeChallengeMethod, string? ProjectId);

    /// <summary>The membership-choice step.</summary>
    public sealed record ProfileRequest(string? Login, string? Profile);

    /// <summary>Maps the login routes (anonymous: they authenticate the user).</summary>
    public static void MapLoginEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/auth/login", async (LoginRequest? body, HttpContext http, IIdentityStore identity, ITenancyStore tenancy, TimeProvider time) =>
        {
            if (string.IsNullOrEmpty(body?.CodeChallenge) || body.CodeChallengeMethod != "S256")
            {
                return Invalid("A PKCE codeChallenge with codeChallengeMethod S256 is required.");
            }

            var found = string.IsNullOrWhiteSpace(body.Email) ? null : await identity.FindUserByEmailAsync(body.Email, http.RequestAborted);
            // The same answer for an unknown email and a wrong password: no account enumeration.
            if (found is not { } account || body.Password is null || !Passwords.Verify(body.Password, account.PasswordHash))
            {
                return Invalid("Email or password is invalid.");
            }

            var memberships = new List<ProjectMembership>();
            foreach (var (projectId, membershipId) in await identity.ListMembershipsAsync(account.User.Id, http.RequestAborted))
            {
                if ((body.ProjectId is null || body.ProjectId == projectId)
                    && await tenancy.GetMembershipAsync(projectId, membershipId, http.RequestAborted) is { } membership)
                {
                    memberships.Add(membership);
                }
            }

            if (memberships.Count == 0)
            {
                return Invalid("The user is not a member of any project.");
            }

            var login = new Login { Id = Guid.NewGuid().ToString("N"), UserId = account.User.Id, CodeChallenge = body.CodeChallenge, ExpiresAt = time.GetUtcNow() + LoginLifetime };
            if (memberships.Count > 1)
            {
                await identity.CreateLoginAsync(login, http.RequestAborted);
                return Results.Json(new
                {
                    login = login.Id,
                    memberships = memberships.Select(m => new { id = m.Id, project = m.Project, profile = m.Profile }),
                });
            }

            var (chosen, code) = WithCode(login, memberships[0], time);
            await identity.CreateLoginAsync(chosen, http.RequestAborted);
            return Results.Json(new { login = login.Id, code });
        }).AllowAnonymous();

        endpoints.MapPost("/api/auth/profile", async (ProfileRequest? body, HttpContext http, IIdentityStore identity, ITenancyStore tenancy, TimeProvider time) =>
        {
            var stored = string.IsNullOrEmpty(body?.Login) ? null : await identity.GetLoginAsync(body.Login, http.RequestAborted);
            if (stored is not { } current || current.Login.Revoked || current.Login.MembershipId is not null || current.Login.ExpiresAt <= time.GetUtcNow())
            {
                return Invalid("The login is unknown, expired or already has a profile.");
            }

            var held = await identity.ListMembershipsAsync(current.Login.UserId, http.RequestAborted);
            var choice = held.FirstOrDefault(h => h.MembershipId == body!.Profile);
            var membership = choice.ProjectId is null ? null : await tenancy.GetMembershipAsync(choice.ProjectId, choice.MembershipId, http.RequestAborted);
            if (membership is null)
            {
                return Invalid("The profile is not one of this user's memberships.");
            }

            var (chosen, code) = WithCode(current.Login, membership, time);
            return await identity.ReplaceLoginAsync(chosen, current.Version, http.RequestAborted)
                ? Results.Json(new { login = current.Login.Id, code })
                : Invalid("The login changed meanwhile; sign in again.");
        }).AllowAnonymous();
    }

    private static (Login Login, string Code) WithCode(Login login, ProjectMembership membership, TimeProvider time)
    {
        var (code, hash) = login.NewCredential();
        return (login with
        {
            ProjectId = membership.Project.Id,
            MembershipId = membership.Id,
            CodeHash = hash,
            CodeExpiresAt = time.GetUtcNow() + CodeLifetime,
        }, code);
    }

    private static IResult Invalid(string message) =>
        FhirJson.Outcome(OperationOutcome.IssueType.Invalid, message, StatusCodes.Status400BadRequest);
}
