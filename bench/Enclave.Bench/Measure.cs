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
    /// Two operations measured side by side: warmed up (2000 calls each, as many as a throughput round: with 200, the
    /// first operation of a run still met the tiered JIT, and the API's read measured 2.5 times the CPU per call of the
    /// identical read measured later in the same run), then <paramref name="rounds"/> interleaved rounds of latency
    /// (300 calls one at a time) and throughput (2000 calls, <paramref name="inFlight"/> at once); the medians. With
    /// <paramref name="emulatorProcessId"/>, also the median CPU and allocations per call of the throughput rounds.
    /// </summary>
    public static async Task<SideBySide> SideBySideAsync(Func<int, Task> a, Func<int, Task> b, int rounds, int inFlight, int? emulatorProcessId = null)
    {
        await RateAsync(2000, inFlight, a);
        await RateAsync(2000, inFlight, b);
        var (latencyA, latencyB, rateA, rateB) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var (costA, costB) = (new List<(double, double, double)>(), new List<(double, double, double)>());
        for (var round = 0; round < rounds; round++)
        {
            latencyA.Add(await LatencyAsync(300, a));
            latencyB.Add(await LatencyAsync(300, b));
            rateA.Add(await MeteredRateAsync(a, costA));
            rateB.Add(await MeteredRateAsync(b, costB));
        }

        return new(Median(latencyA), Median(latencyB), Median(rateA), Median(rateB), Median(costA), Median(costB));

        async Task<double> MeteredRateAsync(Func<int, Task> operation, List<(double, double, double)> costs)
        {
            const int Calls = 2000;
            var meter = emulatorProcessId is { } pid ? CpuMeter.Start(pid) : null;
            var rate = await RateAsync(Calls, inFlight, operation);
            if (meter is not null)
            {
                costs.Add(meter.PerCall(Calls));
            }

            return rate;
        }
    }

    private static CallCost Median(List<(double Self, double Emulator, double Allocated)> costs) => costs.Count == 0 ? new(0, 0, 0)
        : new(Median([.. costs.Select(c => c.Self)]), Median([.. costs.Select(c => c.Emulator)]), Median([.. costs.Select(c => c.Allocated)]));

    /// <summary>The median of <paramref name="values"/> (sorted in place).</summary>
    public static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}

/// <summary>What one call cost under load: CPU of this process (client, app and SDK), CPU of the emulator, bytes allocated here.</summary>
internal sealed record CallCost(double SelfMicroseconds, double EmulatorMicroseconds, double AllocatedBytes);

/// <summary>Two operations measured side by side (<see cref="Measure.SideBySideAsync"/>).</summary>
internal sealed record SideBySide(double LatencyA, double LatencyB, double RateA, double RateB, CallCost CostA, CallCost CostB);
