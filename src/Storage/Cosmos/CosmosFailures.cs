using System.Globalization;
using System.Net;
using Enclave.Domain.Fhir;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>
/// The one place a failed Cosmos DB answer becomes an exception. Throttling (429, which reaches us only once the SDK's
/// own retries are spent: <see cref="CosmosClientOptions.MaxRetryAttemptsOnRateLimitedRequests"/>, 9 within 30 s by
/// default) and unavailability (503, and 408, a request that timed out) are transient:
/// <see cref="StoreThrottledException"/>, with the server's retry-after. Anything else unexpected is a fault.
/// </summary>
public static class CosmosFailures
{
    private const string RetryAfterHeader = "x-ms-retry-after-ms";

    /// <summary>Returns <paramref name="response"/> when it succeeded; throws otherwise (see the class).</summary>
    public static ResponseMessage EnsureSuccess(ResponseMessage response, string what)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsSuccessStatusCode)
        {
            Throw(response.StatusCode, RetryAfter(response.Headers[RetryAfterHeader]), what);
        }

        return response;
    }

    /// <summary>Throws for a <paramref name="status"/> that is not a success (see the class).</summary>
    public static void EnsureSuccess(HttpStatusCode status, string what, TimeSpan? retryAfter = null)
    {
        if ((int)status >= 300)
        {
            Throw(status, retryAfter, what);
        }
    }

    /// <summary>The transient failure a typed SDK call's <paramref name="exception"/> stands for, or null when it is not one.</summary>
    public static StoreThrottledException? Transient(CosmosException exception, string what)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return IsTransient(exception.StatusCode) ? new StoreThrottledException(what, exception.RetryAfter, exception.StatusCode != HttpStatusCode.TooManyRequests, exception) : null;
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout;

    private static void Throw(HttpStatusCode status, TimeSpan? retryAfter, string what)
    {
        if (IsTransient(status))
        {
            throw new StoreThrottledException(what, retryAfter, status != HttpStatusCode.TooManyRequests);
        }

        throw new InvalidOperationException($"Could not {what}: Cosmos DB answered {(int)status}.");
    }

    private static TimeSpan? RetryAfter(string? milliseconds) =>
        double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0 ? TimeSpan.FromMilliseconds(ms) : null;
}
