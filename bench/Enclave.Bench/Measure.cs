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

    /// <summary>The median of <paramref name="values"/> (sorted in place).</summary>
    public static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
