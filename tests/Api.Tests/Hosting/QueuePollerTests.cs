using System.Text;
using Azure.Storage.Queues;
using Enclave.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Hosting;

/// <summary>A local host whose queue trigger retries quickly: two deliveries, one second apart.</summary>
public sealed class QuickRetryApiFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings)
    {
        settings["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "2";
        settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:01";
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200";
    }
}

/// <summary>
/// The local host's queue trigger against Azurite, with the Functions host's semantics: Base64 messages, a message
/// that succeeds is deleted, one that fails is delivered again after the visibility timeout and moves to the poison
/// queue after <c>maxDequeueCount</c> deliveries.
/// </summary>
public sealed class QueuePollerTests(QuickRetryApiFixture app) : IClassFixture<QuickRetryApiFixture>
{
    private QueueClient Queue => app.Services.GetRequiredService<AzureStorageClients>().ExportQueue;

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }

    private List<string> Lines(string fragment) => [.. app.Logs.Lines.Where(l => l.Contains(fragment, StringComparison.Ordinal))];

    [Fact]
    public async Task A_job_message_runs_the_function_once_and_is_deleted()
    {
        // A job no project has: the function succeeds (there is nothing to do), so the message is deleted.
        var jobId = $"job-{Guid.NewGuid():N}";
        await Queue.SendMessageAsync($$"""{"projectId":"no-such-project","jobId":"{{jobId}}"}""");

        Assert.True(await EventuallyAsync(() => Task.FromResult(Lines($"Export job {jobId} is not running (cancelled, expired or done); delivery 1 dropped.").Count == 1),
            TimeSpan.FromSeconds(20)));
        Assert.True(await EventuallyAsync(async () => (await Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, TimeSpan.FromSeconds(10)));
        await Task.Delay(TimeSpan.FromSeconds(2)); // longer than the visibility timeout: a message not deleted would come back
        Assert.Single(Lines($"Export job {jobId} is not running"));
    }

    [Fact]
    public async Task A_failing_message_is_retried_after_the_visibility_timeout_then_moved_to_the_poison_queue_as_Base64()
    {
        var text = $"not a job {Guid.NewGuid():N}";
        var sent = await Queue.SendMessageAsync(text);
        var id = sent.Value.MessageId;
        var poison = app.Services.GetRequiredService<AzureStorageClients>().Queue($"{Queue.Name}-poison");

        Assert.True(await EventuallyAsync(async () => await poison.ExistsAsync() && (await poison.PeekMessagesAsync(32)).Value.Any(m => m.Body.ToString() == text),
            TimeSpan.FromSeconds(30)), "The message never reached the poison queue.");

        var failures = Lines($"Function ExportJob failed on message {id}");
        Assert.Equal(2, failures.Count); // maxDequeueCount deliveries, no more
        Assert.Contains("(delivery 1)", failures[0], StringComparison.Ordinal);
        Assert.Contains("(delivery 2)", failures[1], StringComparison.Ordinal);
        Assert.Single(Lines($"Message {id} moved from {Queue.Name} to its poison queue after 2 deliveries."));

        // Stored as the Functions host stores it: Base64 text.
        var raw = new QueueClient(app.Storage.ConnectionString, poison.Name, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        var stored = (await raw.PeekMessagesAsync(32)).Value.Select(m => m.MessageText).ToList();
        Assert.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), stored);
        Assert.DoesNotContain((await Queue.PeekMessagesAsync(32)).Value, m => m.MessageId == id);
    }
}
