using Enclave.Domain.Tenancy;
using Enclave.Functions.Access;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Auth;

/// <summary>
/// The user sign-in, following Medplum's flow so its client SDK can sign users in:
/// <c>POST /api/auth/login</c> (email, password, PKCE S256 challenge) answers with an authorization code when the
/// user has one membership, or lists the memberships; <c>POST /api/auth/profile</c> chooses one and answers with
/// the code; the code is then exchanged at <c>/api/oauth2/token</c> (<c>authorization_code</c> + <c>code_verifier</c>).
/// </summary>
public sealed class LoginFunctions(IIdentityStore identity, ITenancyStore tenancy, TimeProvider time, SignInThrottle throttle, AuditRecorder auditing)
{
    /// <summary>How long an authorization code works.</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);

    /// <summary>How long a login (and its refresh tokens) lasts.</summary>
    public static readonly TimeSpan LoginLifetime = TimeSpan.FromDays(14);

    // Checked when the email is unknown, so that it costs as much as a wrong password for a known one.
    private static readonly Lazy<string> s_unknownUserHash = new(() => Passwords.Hash(Guid.NewGuid().ToString("N")));

    /// <summary>The password step.</summary>
    public sealed record LoginRequest(string? Email, string? Password, string? CodeChallenge, string? CodeChallengeMethod, string? ProjectId);

    /// <summary>The membership-choice step.</summary>
    public sealed record ProfileRequest(string? Login, string? Profile);

    /// <summary><c>POST auth/login</c>: the password step (anonymous: it authenticates the user).</summary>
    [Function("Login")]
    [Audited("login", "E", Category = AuditCategory.Login)]
    [Anonymous]
    public async Task<IResult> LoginAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/login")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<LoginRequest>(http.Request, RequestJson.SignInMaxBytes);
        if (problem is not null)
        {
            return problem;
        }

        // An S256 challenge is 43 characters; RFC 7636 allows verifiers up to 128.
        if (body?.CodeChallenge is not { Length: > 0 and <= 128 } || body.CodeChallengeMethod != "S256")
        {
            return Invalid("A PKCE codeChallenge with codeChallengeMethod S256 is required.");
        }

        var address = AddressRules.ClientAddress(http);
        var who = User.IsPlausibleEmail(body.Email) ? $"email:{User.NormalizeEmail(body.Email!)}" : null;
        var decision = throttle.Check(who, address);
        if (decision.RetryAfter is { } wait)
        {
            var seconds = TokenFunctions.RetryAfter(http, wait);
            return ErrorMap.Answer(ErrorKind.RateLimited, $"Too many sign-in attempts; retry after {seconds} seconds.");
        }

        if (decision.Delay > TimeSpan.Zero)
        {
            await System.Threading.Tasks.Task.Delay(decision.Delay, time, cancellationToken);
        }

        var found = who is null ? null : await identity.FindUserByEmailAsync(body.Email!, cancellationToken);
        // The same answer, after the same work, for an unknown email and a wrong password: no account enumeration.
        var password = body.Password is { Length: <= InviteFunctions.MaxPasswordLength } p ? p : string.Empty;
        var verified = Passwords.Verify(password, found?.PasswordHash ?? s_unknownUserHash.Value) && found is not null && password.Length > 0;
        throttle.Record(who, address, verified);
        if (!verified)
        {
            return Invalid("Email or password is invalid.");
        }

        var account = found!.Value;

        var memberships = new List<ProjectMembership>();
        foreach (var (projectId, membershipId) in await identity.ListMembershipsAsync(account.User.Id, cancellationToken))
        {
            if ((body.ProjectId is null || body.ProjectId == projectId)
                && await tenancy.GetMembershipAsync(projectId, membershipId, cancellationToken) is { } membership)
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
            await identity.CreateLoginAsync(login, cancellationToken);
            return Results.Json(new
            {
                login = login.Id,
                memberships = memberships.Select(m => new { id = m.Id, project = m.Project, profile = m.Profile }),
            });
        }

        // Recorded in the project signed in to; a sign-in that has not chosen a project yet belongs to none.
        await auditing.AttributeAsync(http, memberships[0].Project.Id, memberships[0].Id, cancellationToken);
        var (chosen, code) = WithCode(login, memberships[0], time);
        await identity.CreateLoginAsync(chosen, cancellationToken);
        return Results.Json(new { login = login.Id, code });
    }

    /// <summary><c>POST auth/profile</c>: the membership-choice step.</summary>
    [Function("LoginProfile")]
    [Audited("login", "E", Category = AuditCategory.Login)]
    [Anonymous]
    public async Task<IResult> ChooseProfileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "auth/profile")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<ProfileRequest>(http.Request, RequestJson.SignInMaxBytes);
        if (problem is not null)
        {
            return problem;
        }

        var stored = Login.IsPlausibleId(body?.Login) ? await identity.GetLoginAsync(body.Login, cancellationToken) : null;
        if (stored is not { } current || current.Login.Revoked || current.Login.MembershipId is not null || current.Login.ExpiresAt <= time.GetUtcNow())
        {
            return Invalid("The login is unknown, expired or already has a profile.");
        }

        var held = await identity.ListMembershipsAsync(current.Login.UserId, cancellationToken);
        var choice = held.FirstOrDefault(h => h.MembershipId == body!.Profile);
        var membership = choice.ProjectId is null ? null : await tenancy.GetMembershipAsync(choice.ProjectId, choice.MembershipId, cancellationToken);
        if (membership is null)
        {
            return Invalid("The profile is not one of this user's memberships.");
        }

        await auditing.AttributeAsync(http, membership.Project.Id, membership.Id, cancellationToken);
        var (chosen, code) = WithCode(current.Login, membership, time);
        return await identity.ReplaceLoginAsync(chosen, current.Version, cancellationToken)
            ? Results.Json(new { login = current.Login.Id, code })
            : Invalid("The login changed meanwhile; sign in again.");
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
        ErrorMap.Answer(ErrorKind.Invalid, message);
}
