using System.Globalization;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>
/// Counts every request the SDK sends to Cosmos DB and sums their request charges: an SDK request handler, so
/// every call of every adapter passes through it. Tests use it to pin round trips per FHIR interaction.
/// </summary>
public sealed class CosmosRequestMetrics : RequestHandler
{
    private long _requests;
    private long _chargeMillis;

    /// <summary>Requests sent so far (retries included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Request units charged so far.</summary>
    public double RequestCharge => Interlocked.Read(ref _chargeMillis) / 1000.0;

    /// <inheritdoc />
    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        Interlocked.Increment(ref _requests);
        if (double.TryParse(response.Headers["x-ms-request-charge"], NumberStyles.Float, CultureInfo.InvariantCulture, out var charge))
        {
            Interlocked.Add(ref _chargeMillis, (long)(charge * 1000));
        }

        return response;
    }
}
