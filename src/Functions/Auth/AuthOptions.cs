using System.ComponentModel.DataAnnotations;

namespace Enclave.Functions.Auth;

/// <summary>Access tokens and the bootstrap super admin (configuration section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Auth";

    /// <summary>The <c>iss</c> of Enclave's tokens: the deployment's public base URL, e.g. <c>https://host/api</c>.</summary>
    [Required]
    public string Issuer { get; set; } = "http://127.0.0.1:7071/api";

    /// <summary>The <c>aud</c> of Enclave's tokens.</summary>
    [Required]
    public string Audience { get; set; } = "enclave";

    /// <summary>How long an access token is valid.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a resolved membership is cached; a removed membership stops working within this time.</summary>
    public TimeSpan MembershipCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a client's previous secret keeps working after <c>$rotate-secret</c>.</summary>
    public TimeSpan SecretRetirementGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The super-admin client created on first start in the system project (see README).</summary>
    public string? BootstrapClientId { get; set; }

    /// <summary>Its secret (in Azure a Key Vault reference); only its hash is stored.</summary>
    public string? BootstrapClientSecret { get; set; }
}
