using System.Security.Claims;
using Enclave.Domain.Tenancy;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Enclave.Functions.Auth;

/// <summary>Signs access tokens bound to exactly one project membership.</summary>
public sealed class TokenIssuer(SigningKeys keys, IOptions<AuthOptions> options, TimeProvider time)
{
    /// <summary>The claim naming the token's project.</summary>
    public const string ProjectClaim = "project";

    /// <summary>The claim naming the token's membership.</summary>
    public const string MembershipClaim = "membership";

    private static readonly JsonWebTokenHandler s_handler = new();

    /// <summary>An access token for <paramref name="membership"/> of <paramref name="projectId"/>, and its lifetime.</summary>
    public (string Token, TimeSpan Lifetime) Issue(string projectId, ProjectMembership membership, string? clientId)
    {
        ArgumentNullException.ThrowIfNull(membership);
        var now = time.GetUtcNow().UtcDateTime;
        var lifetime = options.Value.AccessTokenLifetime;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = membership.User.Value,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            [ProjectClaim] = projectId,
            [MembershipClaim] = membership.Id,
        };
        if (clientId is not null)
        {
            claims["client_id"] = clientId;
        }

        var token = s_handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.EcdsaSha256),
        });
        return (token, lifetime);
    }

    /// <summary>Reads the project and membership claims of a validated token.</summary>
    public static (string ProjectId, string MembershipId)? Binding(ClaimsPrincipal principal)
    {
        var project = principal?.FindFirst(ProjectClaim)?.Value;
        var membership = principal?.FindFirst(MembershipClaim)?.Value;
        return project is null || membership is null ? null : (project, membership);
    }
}
