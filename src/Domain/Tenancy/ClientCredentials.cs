namespace Enclave.Domain.Tenancy;

/// <summary>
/// What the token endpoint needs to authenticate a client: its project and membership and its secret hashes.
/// During a rotation the previous secret keeps working until <see cref="PreviousSecretRetiresAt"/>.
/// </summary>
/// <param name="ProjectId">The client's project.</param>
/// <param name="Client">The client application.</param>
/// <param name="MembershipId">The client's membership of its project.</param>
/// <param name="SecretHash">The hash of the current secret.</param>
/// <param name="PreviousSecretHash">The hash of the secret before the last rotation, if any.</param>
/// <param name="PreviousSecretRetiresAt">When the previous secret stops working.</param>
public sealed record ClientCredentials(
    string ProjectId,
    ClientApplication Client,
    string MembershipId,
    string SecretHash,
    string? PreviousSecretHash = null,
    DateTimeOffset? PreviousSecretRetiresAt = null)
{
    /// <summary>Whether <paramref name="secret"/> is the current secret, or the previous one before its retirement.</summary>
    public bool Accepts(string secret, DateTimeOffset now) =>
        ClientSecrets.Matches(secret, SecretHash)
        || (PreviousSecretRetiresAt > now && ClientSecrets.Matches(secret, PreviousSecretHash));
}
