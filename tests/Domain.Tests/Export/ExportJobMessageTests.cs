using Enclave.Domain.Export;

namespace Enclave.Domain.Tests.Export;

public sealed class ExportJobMessageTests
{
    [Fact]
    public void Message_round_trips_through_its_json()
    {
        var message = new ExportJobMessage("p1", "job-1");

        Assert.Equal("{\"projectId\":\"p1\",\"jobId\":\"job-1\"}", message.ToJson());
        Assert.True(ExportJobMessage.TryParse(message.ToJson(), out var parsed));
        Assert.Equal(message, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{}")]
    [InlineData("{\"jobId\":\"  \"}")]
    [InlineData("{\"jobId\":\"job-1\"}")]
    [InlineData("{\"projectId\":\"p1\",\"jobId\":\"\"}")]
    [InlineData("{\"jobId\":42}")]
    [InlineData("[\"job-1\"]")]
    public void Text_that_is_not_a_job_message_is_refused(string? text)
    {
        Assert.False(ExportJobMessage.TryParse(text, out var parsed));
        Assert.Null(parsed);
    }
}
