using System.Net;
using System.Text;
using System.Text.Json;

namespace Enclave.Api.Tests.Export;

/// <summary>The queue-trigger invocation the Functions host POSTs to <c>/ExportJob</c>, in the shapes the host really sends.</summary>
public sealed class ExportQueueTriggerTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    // As documented for custom handlers: the message as plain text, metadata as plain JSON values.
    private const string DocumentedShape = """
        {"Data":{"message":"{\"jobId\":\"job-7\"}"},
         "Metadata":{"DequeueCount":1,"ExpirationTime":"2026-11-30T10:00:00+00:00","Id":"800ae4b3-bdd2-4c08-badd-f08e5a34b865",
                     "InsertionTime":"2026-11-23T10:00:00+00:00","NextVisibleTime":"2026-11-23T10:10:00+00:00",
                     "PopReceipt":"AgAAAAMAAAAAAAAAAgtnj8x+1QE=","sys":{"MethodName":"ExportJob","UtcNow":"2026-11-23T10:00:01Z","RandGuid":"24ad4c06-24ad-4e5b-8294-3da9714877e9"}}}
        """;

    // As the host sends them in practice: every value JSON-encoded once more, numbers as strings.
    private const string DoubleEncodedShape = """
        {"Data":{"message":"\"{\\\"jobId\\\":\\\"job-7\\\"}\""},
         "Metadata":{"DequeueCount":"2","Id":"\"800ae4b3-bdd2-4c08-badd-f08e5a34b865\"","InsertionTime":"\"2026-11-23T10:00:00+00:00\"",
                     "sys":{"MethodName":"ExportJob"}}}
        """;

    // A JSON message the host parsed into an object.
    private const string ObjectShape = """{"Data":{"message":{"jobId":"job-7"}},"Metadata":{"DequeueCount":3}}""";

    [Theory]
    [InlineData(DocumentedShape)]
    [InlineData(DoubleEncodedShape)]
    [InlineData(ObjectShape)]
    public async Task Host_invocation_is_decoded_and_acknowledged_in_the_host_response_shape(string payload)
    {
        using var client = app.CreateClient();

        using var response = await client.PostAsync(new Uri("/ExportJob", UriKind.Relative),
            new StringContent(payload, Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Object, body.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Equal(0, body.RootElement.GetProperty("Logs").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("ReturnValue").ValueKind);
    }

    [Theory]
    [InlineData("""{"Data":{}}""")]
    [InlineData("""{"Data":{"message":null}}""")]
    [InlineData("""{"Data":{"message":"\"not a job\""}}""")]
    [InlineData("""{"Data":{"other":"{\"jobId\":\"job-7\"}"}}""")]
    [InlineData("""[]""")]
    public async Task Unreadable_invocations_fail_so_the_host_retries_then_poisons_them(string payload)
    {
        using var client = app.CreateClient();

        using var response = await client.PostAsync(new Uri("/ExportJob", UriKind.Relative),
            new StringContent(payload, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
