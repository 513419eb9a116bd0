using System.Reflection;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Enclave.Functions.Invocation;
using Enclave.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Hosting;

/// <summary>
/// The local host's queue trigger: polls each queue function's queue and calls the function with the host's rules
/// (<see cref="QueueHostOptions"/>). A message is leased while its function runs; success deletes it; a failure
/// makes it visible again after <c>visibilityTimeout</c>, and once it has been delivered <c>maxDequeueCount</c>
/// times it moves to <c>&lt;queue&gt;-poison</c>. A message already delivered more often than that (its function
/// crashed the process) moves there without running. Messages are Base64, as the host expects. A message this process
/// enqueues wakes the poller at once (<see cref="Wake"/>); otherwise an idle queue is polled every
/// <c>maxPollingInterval</c> at most. The Functions host has no such wake for messages sent with the SDK (it wakes only
/// for its own output bindings' messages), so in Azure a job's first step waits up to <c>maxPollingInterval</c> (2 s in
/// host.json) after the kick-off: ADR 0004.
/// </summary>
internal sealed partial class LocalQueuePoller(
    IServiceScopeFactory scopes, AzureStorageClients storage, IConfiguration configuration, IOptions<QueueHostOptions> options,
    ILogger<LocalQueuePoller> logger) : BackgroundService
{
    /// <summary>How long a message is hidden from other pollers while its function runs (the host's lease).</summary>
    private static readonly TimeSpan s_lease = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan s_minimumPollingInterval = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _woken = new(0, 1);

    /// <summary>Polls now rather than at the end of the current wait (a message was just enqueued).</summary>
    public void Wake()
    {
        try
        {
            _woken.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: one poll takes every message there is.
        }
        catch (ObjectDisposedException)
        {
            // Shut down: the message waits for the next start.
        }
    }

    public override void Dispose()
    {
        _woken.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var functions = FunctionCatalog.App.Entries
            .Where(e => e.Trigger == FunctionEntry.QueueTrigger && !LocalSettings.IsDisabled(configuration, e.Name))
            .Select(e => (Entry: e, Queue: storage.Queue(LocalSettings.Resolve(configuration, e.QueueName!))))
            .ToList();
        var wait = s_minimumPollingInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var received = 0;
            foreach (var (entry, queue) in functions)
            {
                received += await PollAsync(entry, queue, stoppingToken);
            }

            wait = received > 0 ? s_minimumPollingInterval : TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, options.Value.MaxPollingInterval.Ticks));
            try
            {
                if (received == 0 && await _woken.WaitAsync(wait, stoppingToken))
                {
                    wait = s_minimumPollingInterval;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One poll of <paramref name="queue"/>: the messages received, each handled.</summary>
    private async Task<int> PollAsync(FunctionEntry entry, QueueClient queue, CancellationToken stoppingToken)
    {
        QueueMessage[] messages;
        try
        {
            messages = (await queue.ReceiveMessagesAsync(options.Value.BatchSize, s_lease, stoppingToken)).Value;
        }
        catch (Azure.RequestFailedException e)
        {
            LogPollFailed(logger, e, queue.Name);
            return 0;
        }

        foreach (var message in messages)
        {
            await HandleAsync(entry, queue, message, stoppingToken);
        }

        return messages.Length;
    }

    private async Task HandleAsync(FunctionEntry entry, QueueClient queue, QueueMessage message, CancellationToken stoppingToken)
    {
        var maxDequeueCount = options.Value.MaxDequeueCount;
        if (message.DequeueCount > maxDequeueCount)
        {
            await PoisonAsync(queue, message, stoppingToken);
            return;
        }

        try
        {
            await InvokeAsync(entry, message, stoppingToken);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the message is delivered again.
        }
        catch (Exception e)
        {
            LogFailed(logger, e, entry.Name, message.MessageId, message.DequeueCount);
            if (message.DequeueCount >= maxDequeueCount)
            {
                await PoisonAsync(queue, message, stoppingToken);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.Value.VisibilityTimeout,
                    cancellationToken: stoppingToken);
            }
        }
    }

    /// <summary>Calls the function in a scope of its own, as the worker does for each invocation.</summary>
    private async Task InvokeAsync(FunctionEntry entry, QueueMessage message, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var target = entry.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope.ServiceProvider, entry.Method.DeclaringType!);
        var arguments = entry.Method.GetParameters().Select(p => p.ParameterType switch
        {
            var t when t == typeof(QueueMessage) => (object)message,
            var t when t == typeof(string) => message.MessageText,
            var t when t == typeof(CancellationToken) => cancellationToken,
            _ => throw new InvalidOperationException($"Function {entry.Name}: the local host binds QueueMessage, string and CancellationToken, not {p.Name}."),
        }).ToArray();
        try
        {
            if (entry.Method.Invoke(target, arguments) is Task task)
            {
                await task;
            }
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
        }
    }

    private async Task PoisonAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        var poison = storage.Queue($"{queue.Name}-poison");
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        LogPoisoned(logger, message.MessageId, queue.Name, message.DequeueCount);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling queue {Queue} failed.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string queue);

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} failed on message {MessageId} (delivery {DequeueCount}).")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} moved from {Queue} to its poison queue after {DequeueCount} deliveries.")]
    private static partial void LogPoisoned(ILogger logger, string messageId, string queue, long dequeueCount);
}
