using System.ComponentModel.DataAnnotations;

namespace Enclave.Functions.Auth;

/// <summary>
/// Limits of <see cref="SignInThrottle"/> on <c>POST /api/oauth2/token</c> and <c>POST /api/auth/login</c>
/// (configuration section <c>Auth:Throttle</c>; docs/limits-auth.md lists them). Every limit drains evenly over
/// <see cref="Window"/>: a limit of 10 per 10 minutes frees one attempt a minute.
/// </summary>
public sealed class ThrottleOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Auth:Throttle";

    /// <summary>The time over which each limit drains completely.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many attempts one failed credential counts as, in an address's budget (a success counts as one).</summary>
    [Range(1, 1000)]
    public int FailureWeight { get; set; } = 10;

    /// <summary>Failed credentials for one email or client id from one address before that pair gets 429 (the lockout).</summary>
    [Range(1, 10_000)]
    public int FailuresPerIdentityAndAddress { get; set; } = 10;

    /// <summary>Weighted attempts from one address (any email or client) before the address gets 429.</summary>
    [Range(1, 1_000_000)]
    public int AttemptsPerAddress { get; set; } = 3000;

    /// <summary>Successful sign-ins or tokens of one email or client id before it gets 429 (only its owner can cause these).</summary>
    [Range(1, 1_000_000)]
    public int SuccessesPerIdentity { get; set; } = 600;

    /// <summary>Failed credentials for one email or client id, from anywhere, before its attempts are slowed (never refused).</summary>
    [Range(1, 1_000_000)]
    public int FailuresPerIdentityBeforeSlowDown { get; set; } = 50;

    /// <summary>The delay added to each attempt of a slowed email or client id: the bound on how much an attacker can slow a victim.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan SlowDownDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The most counters kept in memory; drained ones are evicted first, then the lowest.</summary>
    [Range(1000, 10_000_000)]
    public int MaxEntries { get; set; } = 100_000;
}
