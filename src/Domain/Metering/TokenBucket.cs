namespace Enclave.Domain.Metering;

/// <summary>
/// A token bucket: <see cref="Rate"/> tokens a second, holding at most <see cref="Burst"/>; each admitted request takes
/// one. Thread-safe; time comes from the caller, so a test drives it with a fake clock.
/// </summary>
/// <param name="rate">Tokens added per second (more than 0).</param>
/// <param name="burst">The most tokens the bucket holds (at least 1).</param>
/// <param name="now">The instant the bucket starts full.</param>
public sealed class TokenBucket(double rate, double burst, DateTimeOffset now)
{
    private readonly Lock _lock = new();
    private double _tokens = burst;
    private DateTimeOffset _at = now;

    /// <summary>Tokens added per second.</summary>
    public double Rate { get; } = rate > 0 ? rate : throw new ArgumentOutOfRangeException(nameof(rate));

    /// <summary>The most tokens the bucket holds.</summary>
    public double Burst { get; } = burst >= 1 ? burst : throw new ArgumentOutOfRangeException(nameof(burst));

    /// <summary>Takes a token at <paramref name="now"/>: null when one was there, else how long until one will be.</summary>
    public TimeSpan? TryTake(DateTimeOffset now)
    {
        lock (_lock)
        {
            if (now > _at)
            {
                _tokens = Math.Min(Burst, _tokens + ((now - _at).TotalSeconds * Rate));
                _at = now;
            }

            if (_tokens >= 1)
            {
                _tokens -= 1;
                return null;
            }

            return TimeSpan.FromSeconds((1 - _tokens) / Rate);
        }
    }
}
