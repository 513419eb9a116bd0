using System.Text.Json;
using Enclave.Functions.Hosting;

namespace Enclave.Api.Tests.Hosting;

public sealed class QueueTriggerInvocationTests
{
    [Fact]
    public void Double_encoded_values_are_unwrapped_once()
    {
        using var payload = JsonDocument.Parse("""
            {"Data":{"message":"\"{\\\"jobId\\\":\\\"j\\\"}\""},
             "Metadata":{"DequeueCount":"4","Id":"\"abc\"","InsertionTime":"\"2026-11-23T10:00:00+00:00\""}}
            """);

        Assert.True(QueueTriggerInvocation.TryParse(payload.RootElement, "message", out var invocation, out _));

        Assert.Equal("{\"jobId\":\"j\"}", invocation!.MessageText);
        Assert.Equal("abc", invocation.MessageId);
        Assert.Equal(4, invocation.DequeueCount);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), invocation.InsertionTime);
    }

    [Fact]
    public void Plain_text_message_without_metadata_is_a_first_delivery()
    {
        using var payload = JsonDocument.Parse("""{"Data":{"message":"hello"}}""");

        Assert.True(QueueTriggerInvocation.TryParse(payload.RootElement, "message", out var invocation, out _));

        Assert.Equal("hello", invocation!.MessageText);
        Assert.Null(invocation.MessageId);
        Assert.Equal(1, invocation.DequeueCount);
        Assert.Null(invocation.InsertionTime);
    }

    [Fact]
    public void A_missing_binding_is_named_in_the_error()
    {
        using var payload = JsonDocument.Parse("""{"Data":{"other":"x"}}""");

        Assert.False(QueueTriggerInvocation.TryParse(payload.RootElement, "message", out var invocation, out var error));

        Assert.Null(invocation);
        Assert.Contains("Data.message", error, StringComparison.Ordinal);
    }
}
