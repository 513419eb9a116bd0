using Enclave.Storage.Metering;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Metering;

/// <summary>Writes the usage this instance counted every <see cref="MeteringOptions.FlushInterval"/>, and once more when the host stops.</summary>
public sealed partial class UsageFlusher(UsageLedger usage, IOptions<MeteringOptions> options, TimeProvider time, ILogger<UsageFlusher> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await usage.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Counts stay in memory and go with the next flush.
            LogFlushFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing usage failed; it is tried again at the next flush.")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
