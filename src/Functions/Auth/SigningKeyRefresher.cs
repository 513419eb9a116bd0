using Enclave.Storage.Keys;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// Loads the signing keys before the handler serves (no keys, no start: fail closed), then re-reads them
/// periodically so a key added for rotation signs without a restart. A failed refresh keeps the current keys.
/// </summary>
internal sealed partial class SigningKeyRefresher(
    ISigningKeySource source,
    SigningKeys keys,
    IOptions<SigningKeyOptions> options,
    TimeProvider time,
    ILogger<SigningKeyRefresher> logger) : IHostedService, IDisposable
{
    private ITimer? _timer;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        keys.Replace(await source.LoadAsync(cancellationToken));
        LogLoaded(logger, keys.All.Count, keys.Current.KeyId);
        var interval = options.Value.RefreshInterval;
        _timer = time.CreateTimer(_ => _ = RefreshAsync(), null, interval, interval);
    }

    private async Task RefreshAsync()
    {
        try
        {
            keys.Replace(await source.LoadAsync(CancellationToken.None));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRefreshFailed(logger, ex.GetType().Name);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} signing key(s); signing with {KeyId}.")]
    private static partial void LogLoaded(ILogger logger, int count, string keyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the signing keys failed ({Error}); the current keys stay in use.")]
    private static partial void LogRefreshFailed(ILogger logger, string error);
}
