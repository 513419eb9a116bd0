using System.Security.Cryptography;
using System.Text;
using Enclave.Domain.Tenancy;

namespace Enclave.Functions.Auth;

/// <summary>
/// The user grants of the token endpoint: <c>authorization_code</c> with PKCE S256, and <c>refresh_token</c> with
/// rotation (a rotated-out refresh token presented again revokes the whole login: it was stolen or replayed).
/// </summary>
internal static class UserGrants
{
    /// <summary>The outcome of a grant: tokens, or an RFC 6749 error; and the login the grant named, when it was found (for the audit record).</summary>
    public sealed record Outcome(string? AccessToken, int ExpiresIn, string? RefreshToken, string? ProjectId, string? Error, string? Description)
    {
        public Login? Login { get; init; }

        public static Outcome Fail(string description, Login? login = null) => new(null, 0, null, null, "invalid_grant", description) { Login = login };
    }

    public static async Task<Outcome> AuthorizationCodeAsync(IFormCollection form, Services services, CancellationToken cancellationToken)
    {
        var code = Login.ParseCredential(form["code"].ToString());
        var verifier = form["code_verifier"].ToString();
        if (code is not { } parsed || verifier.Length == 0)
        {
            return Outcome.Fail("code and code_verifier are required.");
        }

        var stored = await services.Identity.GetLoginAsync(parsed.LoginId, cancellationToken);
        var now = services.Time.GetUtcNow();
        if (stored is not { } current || current.Login.Revoked || current.Login.CodeUsed
            || current.Login.CodeExpiresAt <= now || !ClientSecrets.Matches(parsed.Secret, current.Login.CodeHash))
        {
            return Outcome.Fail("The code is invalid, expired or already used.");
        }

        if (!PkceMatches(verifier, current.Login.CodeChallenge))
        {
            return Outcome.Fail("The code_verifier does not match the code challenge.", current.Login);
        }

        return await IssueAsync(current.Login with { CodeUsed = true }, current.Version, services, cancellationToken);
    }

    public static async Task<Outcome> RefreshTokenAsync(IFormCollection form, Services services, CancellationToken cancellationToken)
    {
        var presented = Login.ParseCredential(form["refresh_token"].ToString());
        var stored = presented is { } p ? await services.Identity.GetLoginAsync(p.LoginId, cancellationToken) : null;
        if (stored is not { } current || current.Login.Revoked || current.Login.ExpiresAt <= services.Time.GetUtcNow())
        {
            return Outcome.Fail("The refresh token is invalid or expired.");
        }

        if (!ClientSecrets.Matches(presented!.Value.Secret, current.Login.RefreshTokenHash))
        {
            if (current.Login.RetiredRefreshTokenHashes.Any(hash => ClientSecrets.Matches(presented.Value.Secret, hash)))
            {
                await services.Identity.ReplaceLoginAsync(current.Login with { Revoked = true }, current.Version, cancellationToken);
            }

            return Outcome.Fail("The refresh token is invalid or expired.", current.Login);
        }

        return await IssueAsync(current.Login with { RetiredRefreshTokenHashes = [.. current.Login.RetiredRefreshTokenHashes, current.Login.RefreshTokenHash!] },
            current.Version, services, cancellationToken);
    }

    /// <summary>Rotates the refresh token (optimistically: a concurrent use of the same token loses) and signs an access token.</summary>
    private static async Task<Outcome> IssueAsync(Login login, string version, Services services, CancellationToken cancellationToken)
    {
        var caller = await services.Callers.ResolveAsync(login.ProjectId!, login.MembershipId!, cancellationToken);
        if (caller is null)
        {
            return Outcome.Fail("The membership no longer exists.");
        }

        var (refreshToken, refreshHash) = login.NewCredential();
        if (!await services.Identity.ReplaceLoginAsync(login with { RefreshTokenHash = refreshHash }, version, cancellationToken))
        {
            return Outcome.Fail("The grant was used concurrently.", login);
        }

        var (token, lifetime) = services.Issuer.Issue(login.ProjectId!, caller.Membership, clientId: null);
        return new Outcome(token, (int)lifetime.TotalSeconds, refreshToken, login.ProjectId, null, null) { Login = login };
    }

    private static bool PkceMatches(string verifier, string challenge)
    {
        var computed = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(challenge));
    }

    /// <summary>What the grants need.</summary>
    public sealed record Services(IIdentityStore Identity, CallerResolver Callers, TokenIssuer Issuer, TimeProvider Time);
}
