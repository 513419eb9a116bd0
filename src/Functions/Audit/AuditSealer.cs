using System.Collections.Concurrent;
using System.Threading.Channels;
using Enclave.Domain.Audit;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Audit;

/// <summary>
/// Chains the records this instance appended into their projects' hash chains, <see cref="AuditOptions.SealDelay"/>
/// after they were appended, in the background: sealing is off the request path. A record that waits when the
/// instance stops is sealed by the next append to its project on any instance, or by <c>$verify</c>.
/// </summary>
public sealed partial class AuditSealer(IAuditTrail trail, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditSealer> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, byte> _touched = new(StringComparer.Ordinal);
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Records were appended to <paramref name="projectId"/>'s trail.</summary>
    public void Touch(string projectId)
    {
        if (_touched.TryAdd(projectId, 0))
        {
            _signal.Writer.TryWrite(true);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _signal.Reader.WaitToReadAsync(stoppingToken))
            {
                _signal.Reader.TryRead(out _);
                await System.Threading.Tasks.Task.Delay(options.Value.SealDelay, time, stoppingToken);
                foreach (var projectId in _touched.Keys)
                {
                    _touched.TryRemove(projectId, out _);
                    try
                    {
                        await trail.For(projectId).SealAsync(stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogSealFailed(logger, e, projectId);
                        Touch(projectId);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is not sealed yet stays durable, and is sealed later.
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Sealing the audit trail of project {ProjectId} failed; it is retried")]
    private static partial void LogSealFailed(ILogger logger, Exception exception, string projectId);
}
