using System.Collections.Concurrent;
using System.Threading.Channels;
using Enclave.Domain.Audit;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Audit;

/// <summary>
/// Chains the records this instance stored (appended, or committed with a write) into their projects' hash chains,
/// <see cref="AuditOptions.SealDelay"/> after they were stored, in the background and by id (no query over the trail):
/// sealing is off the request path. A record that waits when the instance stops is sealed by <c>$verify</c>.
/// </summary>
public sealed partial class AuditSealer(IAuditTrail trail, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditSealer> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> _waiting = new(StringComparer.Ordinal);
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The records <paramref name="ids"/> (AuditEvent ids) were stored in <paramref name="projectId"/>'s trail.</summary>
    public void Touch(string projectId, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var queue = _waiting.GetOrAdd(projectId, _ => new ConcurrentQueue<string>());
        foreach (var id in ids)
        {
            queue.Enqueue(id);
        }

        _signal.Writer.TryWrite(true);
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
                foreach (var projectId in _waiting.Keys)
                {
                    if (!_waiting.TryRemove(projectId, out var queue) || queue.IsEmpty)
                    {
                        continue;
                    }

                    var ids = queue.ToArray();
                    try
                    {
                        await trail.For(projectId).SealAsync(ids, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogSealFailed(logger, e, projectId);
                        Touch(projectId, ids);
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
