using System.Diagnostics;

namespace Enclave.Bench;

/// <summary>The timing loops every benchmark uses.</summary>
internal static class Measure
{
    /// <summary>Operations per second for <paramref name="count"/> calls with <paramref name="inFlight"/> running at once.</summary>
    public static async Task<double> RateAsync(int count, int inFlight, Func<int, Task> operation)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await operation(i);
            }
        }));
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The median milliseconds of <paramref name="count"/> calls made one after another.</summary>
    public static async Task<double> LatencyAsync(int count, Func<int, Task> operation)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await operation(i);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        return Median(times);
    }

    /// <summary>
    /// Two operations measured side by side: warmed up, then <paramref name="rounds"/> interleaved rounds of latency
    /// (300 calls one at a time) and throughput (2000 calls, <paramref name="inFlight"/> at once); the medians.
    /// </summary>
    public static async Task<(double LatencyA, double LatencyB, double RateA, double RateB)> SideBySideAsync(
        Func<int, Task> a, Func<int, Task> b, int rounds, int inFlight)
    {
        await RateAsync(200, inFlight, a);
        await RateAsync(200, inFlight, b);
        var (latencyA, latencyB, rateA, rateB) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            latencyA.Add(await LatencyAsync(300, a));
            latencyB.Add(await LatencyAsync(300, b));
            rateA.Add(await RateAsync(2000, inFlight, a));
            rateB.Add(await RateAsync(2000, inFlight, b));
        }

        return (Median(latencyA), Median(latencyB), Median(rateA), Median(rateB));
    }

    /// <summary>The median of <paramref name="values"/> (sorted in place).</summary>
    public static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
