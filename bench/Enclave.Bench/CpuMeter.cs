using System.Diagnostics;
using System.Globalization;

namespace Enclave.Bench;

/// <summary>
/// CPU time and allocations over a measured loop: of this process (the HTTP client, the app and the SDK all run in it)
/// and of the emulator process, read from <c>/proc</c>. Per call, they say where the time of a throughput figure goes.
/// </summary>
internal sealed class CpuMeter
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux
    private readonly int _emulator;
    private TimeSpan _self;
    private double _emulatorSeconds;
    private long _allocated;

    private CpuMeter(int emulator) => _emulator = emulator;

    /// <summary>Starts metering this process and the emulator process <paramref name="emulatorProcessId"/>.</summary>
    public static CpuMeter Start(int emulatorProcessId)
    {
        var meter = new CpuMeter(emulatorProcessId);
        meter.Reset();
        return meter;
    }

    /// <summary>Per call since the start: this process's CPU (µs), the emulator's CPU (µs), and bytes allocated here.</summary>
    public (double SelfMicroseconds, double EmulatorMicroseconds, double AllocatedBytes) PerCall(int calls)
    {
        var self = Process.GetCurrentProcess().TotalProcessorTime - _self;
        var emulator = EmulatorSeconds() - _emulatorSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: false) - _allocated;
        return (self.TotalMicroseconds / calls, emulator * 1e6 / calls, (double)allocated / calls);
    }

    private void Reset()
    {
        _self = Process.GetCurrentProcess().TotalProcessorTime;
        _emulatorSeconds = EmulatorSeconds();
        _allocated = GC.GetTotalAllocatedBytes(precise: false);
    }

    /// <summary>utime + stime of the emulator process (fields 14 and 15 of <c>/proc/pid/stat</c>).</summary>
    private double EmulatorSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_emulator.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
    }
}
