namespace Enclave.Domain.Tenancy;

/// <summary>
/// One sign-in of a user, from password check to refresh tokens: the PKCE challenge, the membership chosen, the
/// single-use authorization code and the current refresh token (hashes only). Refreshing rotates the token;
/// presenting a rotated-out token revokes the whole login.
/// </summary>
public sealed record Login
{
    /// <summary>The login id (the first part of its codes and refresh tokens).</summary>
    public required string Id { get; init; }

    /// <summary>The user who signed in.</summary>
    public required string UserId { get; init; }

    /// <summary>The PKCE S256 challenge sent with the password.</summary>
    public required string CodeChallenge { get; init; }

    /// <summary>The chosen membership's project, once chosen.</summary>
    public string? ProjectId { get; init; }

    /// <summary>The chosen membership, once chosen.</summary>
    public string? MembershipId { get; init; }

    /// <summary>The hash of the authorization code, once issued.</summary>
    public string? CodeHash { get; init; }

    /// <summary>When the code stops working.</summary>
    public DateTimeOffset? CodeExpiresAt { get; init; }

    /// <summary>Whether the code was redeemed (codes are single-use).</summary>
    public bool CodeUsed { get; init; }

    /// <summary>The hash of the current refresh token.</summary>
    public string? RefreshTokenHash { get; init; }

    /// <summary>Hashes of refresh tokens rotated out: presenting one means theft, and revokes the login.</summary>
    public IReadOnlyList<string> RetiredRefreshTokenHashes { get; init; } = [];

    /// <summary>When the login (and its refresh tokens) stop working.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Whether the login was revoked.</summary>
    public bool Revoked { get; init; }

    /// <summary>A credential for this login: <c>{login id}.{random}</c>, and the hash to store.</summary>
    public (string Credential, string Hash) NewCredential()
    {
        var random = ClientSecrets.Generate();
        return ($"{Id}.{random}", ClientSecrets.Hash(random));
    }

    /// <summary>The longest login id accepted (Enclave's are 32 hex digits); longer ones are refused before any lookup.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Whether <paramref name="loginId"/> could be a login id (present, not too long for a lookup).</summary>
    public static bool IsPlausibleId([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? loginId) => loginId is { Length: > 0 and <= MaxIdLength };

    /// <summary>Splits a credential into its login id and secret part; null when it is malformed.</summary>
    public static (string LoginId, string Secret)? ParseCredential(string? credential)
    {
        var dot = credential?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        return dot is > 0 and <= MaxIdLength ? (credential![..dot], credential[(dot + 1)..]) : null;
    }
}
