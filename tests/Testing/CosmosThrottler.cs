using System.Globalization;
using System.Net;
using Microsoft.Azure.Cosmos;

namespace Enclave.Testing;

/// <summary>
/// A Cosmos DB request handler that answers one request in <see cref="EveryNth"/> with 429 (or <see cref="Status"/>)
/// and a retry-after, as an account over its throughput does once the SDK's own retries are spent: custom handlers sit
/// outside the SDK's retry handler, so the answer reaches the adapter as it is.
/// </summary>
public sealed class CosmosThrottler : RequestHandler
{
    private long _seen;
    private long _answered;

    /// <summary>Every how many requests one is refused; 0 (the default) refuses none.</summary>
    public int EveryNth { get; set; }

    /// <summary>The refusal's status.</summary>
    public HttpStatusCode Status { get; set; } = HttpStatusCode.TooManyRequests;

    /// <summary>The retry-after the refusal carries.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Which requests may be refused (all by default).</summary>
    public Func<RequestMessage, bool> Applies { get; set; } = _ => true;

    /// <summary>Requests refused so far.</summary>
    public long Refused => Interlocked.Read(ref _answered);

    /// <inheritdoc />
    public override Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var every = EveryNth;
        if (every > 0 && Applies(request) && Interlocked.Increment(ref _seen) % every == 0)
        {
            Interlocked.Increment(ref _answered);
            var refusal = new ResponseMessage(Status, request, "Request rate is large (injected by the test).");
            refusal.Headers["x-ms-retry-after-ms"] = RetryAfter.TotalMilliseconds.ToString(CultureInfo.InvariantCulture);
            return Task.FromResult(refusal);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
