using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Throttles credential checks (token endpoint and user login) with leaky buckets that drain evenly over
/// <see cref="ThrottleOptions.Window"/>. The lockout cannot be turned against a victim (ADR 0003):
/// <list type="bullet">
/// <item>failures lock out an (email or client id, address) pair and, weighted, an address, so an attacker locks
/// out only their own address, never the victim's;</item>
/// <item>failures of one email or client id from all addresses together only slow its attempts by a bounded delay;</item>
/// <item>successes, which only the credential's owner can cause, are limited per email or client id.</item>
/// </list>
/// Refused attempts are not counted. Memory is bounded by <see cref="ThrottleOptions.MaxEntries"/>.
/// </summary>
public sealed class SignInThrottle(IOptions<ThrottleOptions> options, TimeProvider time)
{
    private readonly ThrottleOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _eviction = new();
    private int _count;

    /// <summary>What to do with an attempt: refuse it until <paramref name="RetryAfter"/>, or let it through after <paramref name="Delay"/>.</summary>
    /// <param name="RetryAfter">When set, answer 429 with this <c>Retry-After</c>.</param>
    /// <param name="Delay">How long to wait before checking the credential (zero unless the identity is under attack).</param>
    public readonly record struct Decision(TimeSpan? RetryAfter, TimeSpan Delay);

    /// <summary>The decision for an attempt by <paramref name="identity"/> (e.g. <c>email:…</c>, <c>client:…</c>; null when none) from <paramref name="address"/>.</summary>
    public Decision Check(string? identity, IPAddress? address)
    {
        var now = time.GetUtcNow();
        var wait = Max(
            Wait(AddressKey(address), _options.AttemptsPerAddress, now),
            identity is null ? null : Wait(PairKey(identity, address), _options.FailuresPerIdentityAndAddress, now),
            identity is null ? null : Wait(SuccessKey(identity), _options.SuccessesPerIdentity, now));
        if (wait is not null)
        {
            return new(wait, TimeSpan.Zero);
        }

        var slowed = identity is not null && _buckets.TryGetValue(FailureKey(identity), out var failures)
            && failures.Level(now) >= _options.FailuresPerIdentityBeforeSlowDown;
        return new(null, slowed ? _options.SlowDownDelay : TimeSpan.Zero);
    }

    /// <summary>Counts a checked credential: a failure weighs more, and a success clears its pair's failures.</summary>
    public void Record(string? identity, IPAddress? address, bool succeeded)
    {
        var now = time.GetUtcNow();
        Add(AddressKey(address), _options.AttemptsPerAddress, succeeded ? 1 : _options.FailureWeight, now);
        if (identity is null)
        {
            return;
        }

        if (succeeded)
        {
            Add(SuccessKey(identity), _options.SuccessesPerIdentity, 1, now);
            Remove(PairKey(identity, address));
        }
        else
        {
            Add(PairKey(identity, address), _options.FailuresPerIdentityAndAddress, 1, now);
            Add(FailureKey(identity), _options.FailuresPerIdentityBeforeSlowDown, 1, now);
        }
    }

    /// <summary>How many counters are kept (for tests of the memory bound).</summary>
    public int Count => Volatile.Read(ref _count);

    private static string AddressKey(IPAddress? address) => $"a|{address}";

    private static string PairKey(string identity, IPAddress? address) => $"p|{address}|{identity}";

    private static string SuccessKey(string identity) => $"s|{identity}";

    private static string FailureKey(string identity) => $"f|{identity}";

    private static TimeSpan? Max(params TimeSpan?[] waits) => waits.Max();

    /// <summary>How long until the bucket has room for one more attempt; null when it has room now.</summary>
    private TimeSpan? Wait(string key, int capacity, DateTimeOffset now)
    {
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            return null;
        }

        var excess = bucket.Level(now) - capacity;
        return excess < 0 ? null : TimeSpan.FromSeconds(Math.Floor(excess / bucket.RatePerSecond) + 1);
    }

    private void Add(string key, int capacity, double units, DateTimeOffset now)
    {
        // A loop, not GetOrAdd, so that the count stays exact when two requests add the same key (or one removes it) at once.
        Bucket? bucket;
        while (!_buckets.TryGetValue(key, out bucket))
        {
            if (Volatile.Read(ref _count) >= _options.MaxEntries)
            {
                Evict(now);
            }

            var fresh = new Bucket(capacity / _options.Window.TotalSeconds);
            if (_buckets.TryAdd(key, fresh))
            {
                Interlocked.Increment(ref _count);
                bucket = fresh;
                break;
            }
        }

        bucket.Add(units, now);
    }

    private void Remove(string key)
    {
        if (_buckets.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Drops drained counters; if that frees too little, the lowest tenth (the ones nearest to forgotten anyway).</summary>
    private void Evict(DateTimeOffset now)
    {
        lock (_eviction)
        {
            if (Volatile.Read(ref _count) < _options.MaxEntries)
            {
                return;
            }

            foreach (var (key, bucket) in _buckets)
            {
                if (bucket.Level(now) <= 0)
                {
                    Remove(key);
                }
            }

            var target = _options.MaxEntries * 9 / 10;
            if (Volatile.Read(ref _count) > target)
            {
                foreach (var (key, _) in _buckets.Select(b => (b.Key, Level: b.Value.Level(now))).OrderBy(b => b.Level).Take(Volatile.Read(ref _count) - target).ToList())
                {
                    Remove(key);
                }
            }
        }
    }

    /// <summary>A leaky bucket: a level that drains at a constant rate.</summary>
    private sealed class Bucket(double ratePerSecond)
    {
        private readonly Lock _lock = new();
        private double _level;
        private DateTimeOffset _at;

        public double RatePerSecond => ratePerSecond;

        public double Level(DateTimeOffset now)
        {
            lock (_lock)
            {
                return Drained(now);
            }
        }

        public void Add(double units, DateTimeOffset now)
        {
            lock (_lock)
            {
                _level = Drained(now) + units;
                _at = now;
            }
        }

        private double Drained(DateTimeOffset now) => Math.Max(0, _level - (Math.Max(0, (now - _at).TotalSeconds) * ratePerSecond));
    }
}
