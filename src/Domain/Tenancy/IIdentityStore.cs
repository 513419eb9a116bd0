namespace Enclave.Domain.Tenancy;

/// <summary>Users, their project memberships and their logins; every lookup is a point read or a single-partition query.</summary>
public interface IIdentityStore
{
    /// <summary>The user with this email (any case) and their password hash, or null.</summary>
    Task<(User User, string? PasswordHash)?> FindUserByEmailAsync(string email, CancellationToken cancellationToken);

    /// <summary>The user with this id (without any password hash), or null.</summary>
    Task<User?> GetUserAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Creates a user, reserving the email; false when the email is taken.</summary>
    Task<bool> CreateUserAsync(User user, string? passwordHash, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="userId"/> holds <paramref name="membershipId"/> of <paramref name="projectId"/>.</summary>
    Task AddMembershipAsync(string userId, string projectId, string membershipId, CancellationToken cancellationToken);

    /// <summary>The (project, membership) pairs a user holds.</summary>
    Task<IReadOnlyList<(string ProjectId, string MembershipId)>> ListMembershipsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>A login and its version, or null.</summary>
    Task<(Login Login, string Version)?> GetLoginAsync(string loginId, CancellationToken cancellationToken);

    /// <summary>Stores a new login.</summary>
    Task CreateLoginAsync(Login login, CancellationToken cancellationToken);

    /// <summary>Replaces a login if it is still at <paramref name="version"/>; false when someone else changed it first.</summary>
    Task<bool> ReplaceLoginAsync(Login login, string version, CancellationToken cancellationToken);
}
