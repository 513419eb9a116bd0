using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Auth;

/// <summary>
/// <c>POST /api/admin/projects/{projectId}/invite</c> (that project's admins): creates or reuses the user with the
/// email and gives them a membership of the project with the given names, profile, access and admin flag.
/// The answer is the same whether or not the email already has an account (ADR 0003): 201 with the project's view
/// of the user (id, email and the names this invitation gave) and the new membership, nothing else.
/// </summary>
public sealed class InviteFunctions(ITenancyStore tenancy, IIdentityStore identity)
{
    /// <summary>The longest password accepted: PBKDF2 over a megabyte of password would be a cheap way to burn CPU.</summary>
    public const int MaxPasswordLength = 1024;

    /// <summary>The invitation (Medplum's shape).</summary>
    /// <param name="Email">The user's email.</param>
    /// <param name="FirstName">Given name, kept on this project's membership only.</param>
    /// <param name="LastName">Family name, kept on this project's membership only.</param>
    /// <param name="Password">
    /// Always required (12 to 1,024 characters), so that the answer cannot depend on whether the email is known; it
    /// becomes the password of a new user and is ignored for an existing one, who keeps their own (ADR 0003).
    /// </param>
    /// <param name="Profile">Who the member is in the project's data, e.g. <c>Practitioner/123</c>.</param>
    /// <param name="Admin">Whether the member administers the project.</param>
    /// <param name="Access">Access policies with their parameters.</param>
    public sealed record Invitation(string? Email, string? FirstName, string? LastName, string? Password,
        Reference? Profile, bool Admin, IReadOnlyList<MembershipAccess>? Access);

    /// <summary><c>POST admin/projects/{projectId}/invite</c>.</summary>
    [Function("Invite")]
    [Audited("operation", "C")]
    [Requires(CallerRole.ProjectAdmin, "Only this project's admins invite members.")]
    public async Task<IResult> InviteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/projects/{projectId}/invite")] HttpRequest request, string projectId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<Invitation>(http.Request);
        if (problem is not null)
        {
            return problem;
        }

        if (!User.IsPlausibleEmail(body?.Email))
        {
            return Invalid("A valid email is required.");
        }

        // The membership is checked before any user is created, so a refused invitation writes nothing; its
        // user is known only after the lookup.
        var membership = new ProjectMembership
        {
            Id = Guid.NewGuid().ToString("N"),
            Project = Reference.To(nameof(Project), projectId),
            User = Reference.To(nameof(User), "pending"),
            FirstName = body!.FirstName,
            LastName = body.LastName,
            Profile = body.Profile,
            Admin = body.Admin,
            Access = body.Access ?? [],
        };
        if (Domain.Access.AccessPolicyValidator.AccessProblem(membership.Access, null) is { } unenforceable)
        {
            return Invalid(unenforceable);
        }

        if (membership.Problem() is { } invalid)
        {
            return Invalid(invalid);
        }

        // Checked on the request alone, never on what is stored: a rule that applied to new users only would
        // tell the inviting project whether the email already has an account.
        if (body.Password is not { Length: >= Passwords.MinimumLength and <= MaxPasswordLength })
        {
            return Invalid($"An invitation needs a password of {Passwords.MinimumLength} to {MaxPasswordLength} characters "
                + "(a person who already has an account keeps their own).");
        }

        // Hashed whether or not it is used, so that a known email takes as long as an unknown one.
        var passwordHash = Passwords.Hash(body.Password);
        var user = await FindOrCreateUserAsync(identity, User.NormalizeEmail(body.Email!), passwordHash, cancellationToken);
        if (user is null)
        {
            return ErrorMap.Answer(ErrorKind.Busy, "Another invitation of this email is under way; retry.");
        }

        var userReference = Reference.To(nameof(User), user.Id);
        if ((await tenancy.SearchMembershipsAsync(projectId, userReference.Value, null, cancellationToken)).Count > 0)
        {
            // Only this project's own data is involved: it already has this member.
            return ErrorMap.Answer(ErrorKind.Duplicate, "This email is already a member of this project.");
        }

        membership = membership.Normalized() with { User = userReference };
        await tenancy.CreateMembershipAsync(membership, cancellationToken);
        await identity.AddMembershipAsync(user.Id, projectId, membership.Id, cancellationToken);
        return Results.Json(new { user = ProjectUser.Of(user, membership), membership }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>The user with the email, created with <paramref name="passwordHash"/> when there is none; null only if a concurrent creator's user cannot be read back.</summary>
    private static async Task<User?> FindOrCreateUserAsync(IIdentityStore identity, string email, string passwordHash, CancellationToken cancellationToken)
    {
        if (await identity.FindUserByEmailAsync(email, cancellationToken) is { } found)
        {
            return found.User;
        }

        var user = new User { Id = Guid.NewGuid().ToString("N"), Email = email };
        if (await identity.CreateUserAsync(user, passwordHash, cancellationToken))
        {
            return user;
        }

        // Another invitation reserved the email first: use its user, exactly as if it had existed before.
        return (await identity.FindUserByEmailAsync(email, cancellationToken))?.User;
    }

    private static IResult Invalid(string message) => ErrorMap.Answer(ErrorKind.Invalid, message);
}
