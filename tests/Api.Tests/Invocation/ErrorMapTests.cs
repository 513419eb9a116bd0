using System.Net;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Functions.Invocation;
using Enclave.Storage.Tenancy;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Enclave.Api.Tests.Invocation;

/// <summary>
/// The one error map, through the invocation step every function passes: expected conditions get their status and
/// issue code, never a 500, and no exception's text leaves the server unless it was written for the client.
/// </summary>
public sealed class ErrorMapTests
{
    private static readonly FunctionEntry s_function = new("Probe", typeof(ErrorMapTests).GetMethod(nameof(Probe), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!, FunctionEntry.HttpTrigger, ["GET"], "probe", null);

    /// <summary>The probe function the entry describes (anonymous, so the step goes straight to it).</summary>
    [Anonymous]
    internal static void Probe()
    {
    }

    private static async Task<(int Status, string Code, string Diagnostics, IHeaderDictionary Headers)> AnswerAsync(Exception thrown)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider(), TraceIdentifier = "trace-42" };
        http.Response.Body = new MemoryStream();
        var pipeline = new InvocationPipeline(NullLogger<InvocationPipeline>.Instance);

        var answer = await pipeline.RunAsync(http, s_function, () => throw thrown);
        await answer.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(http.Response.Body);
        var issue = body.RootElement.GetProperty("issue")[0];
        return (http.Response.StatusCode, issue.GetProperty("code").GetString()!, issue.GetProperty("diagnostics").GetString()!, http.Response.Headers);
    }

    [Fact]
    public async Task A_tenancy_conflict_from_the_store_is_409_conflict_without_the_store_text()
    {
        var (status, code, diagnostics, _) = await AnswerAsync(new TenancyConflictException("Could not create membership 123: it already exists."));

        Assert.Equal(StatusCodes.Status409Conflict, status);
        Assert.Equal("conflict", code);
        Assert.DoesNotContain("123", diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_argument_exception_carrying_database_text_is_a_500_that_quotes_only_the_correlation_id()
    {
        var (status, code, diagnostics, _) = await AnswerAsync(new ArgumentException("Cosmos DB: Message: {\"Errors\":[\"Query exceeded memory limit\"]} ActivityId: 5f3c"));

        Assert.Equal(StatusCodes.Status500InternalServerError, status);
        Assert.Equal("exception", code);
        Assert.Contains("trace-42", diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("Cosmos", diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("ActivityId", diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_search_the_store_cannot_run_is_400_with_the_message_written_for_the_client()
    {
        var (status, code, diagnostics, _) = await AnswerAsync(new InvalidSearchException("The page token is not valid."));

        Assert.Equal(StatusCodes.Status400BadRequest, status);
        Assert.Equal("invalid", code);
        Assert.Equal("The page token is not valid.", diagnostics);
    }

    [Fact]
    public async Task A_commit_too_large_is_400_too_costly_by_operations_and_413_too_long_by_size()
    {
        Assert.Equal((400, "too-costly"), await StatusAndCodeAsync(new CommitTooLargeException(140, 100)));
        Assert.Equal((413, "too-long"), await StatusAndCodeAsync(new CommitTooLargeException("too big")));

        static async Task<(int, string)> StatusAndCodeAsync(Exception e)
        {
            var (status, code, _, _) = await AnswerAsync(e);
            return (status, code);
        }
    }

    [Fact]
    public async Task A_throttled_or_unavailable_database_is_429_or_503_with_Retry_After()
    {
        var throttled = new CosmosException("Request rate is large. ActivityId: 1", HttpStatusCode.TooManyRequests, 0, "1", 1);
        var (status, code, diagnostics, headers) = await AnswerAsync(throttled);
        Assert.Equal(StatusCodes.Status429TooManyRequests, status);
        Assert.Equal("throttled", code);
        Assert.DoesNotContain("ActivityId", diagnostics, StringComparison.Ordinal);
        Assert.True(int.Parse(headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);

        var (unavailable, transient, _, later) = await AnswerAsync(new CosmosException("down", HttpStatusCode.ServiceUnavailable, 0, "2", 1));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, unavailable);
        Assert.Equal("transient", transient);
        Assert.NotEqual(string.Empty, later.RetryAfter.ToString());
    }

    [Fact]
    public async Task A_throttled_store_is_429_with_its_retry_after_and_an_unavailable_one_503_never_a_500()
    {
        var (status, code, diagnostics, headers) = await AnswerAsync(new StoreThrottledException("query resources", TimeSpan.FromMilliseconds(2300), unavailable: false));
        Assert.Equal(StatusCodes.Status429TooManyRequests, status);
        Assert.Equal("throttled", code);
        Assert.Equal("3", headers.RetryAfter.ToString()); // whole seconds, rounded up
        Assert.DoesNotContain("query resources", diagnostics, StringComparison.Ordinal);

        var (unavailable, transient, _, later) = await AnswerAsync(new StoreThrottledException("read a guard", null, unavailable: true));
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, unavailable);
        Assert.Equal("transient", transient);
        Assert.Equal("5", later.RetryAfter.ToString());
    }

    [Fact]
    public void Every_kind_has_one_status_and_one_code_and_only_Unexpected_is_a_500()
    {
        foreach (var kind in Enum.GetValues<ErrorKind>())
        {
            var (status, _) = ErrorMap.Of(kind);
            Assert.True(status is >= 400 and < 600, $"{kind} has status {status}.");
            Assert.Equal(kind == ErrorKind.Unexpected, status == StatusCodes.Status500InternalServerError);
        }
    }
}
