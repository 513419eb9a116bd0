using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Enclave.Storage.Metering;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>
/// The one wrapper every store call passes: an SDK request handler, so every call of every adapter goes through it.
/// It records each call's request charge, latency and status into the invocation's <see cref="StoreMeter"/> (whose
/// totals become the answer's headers and the project's usage) and as OpenTelemetry metrics tagged with the meter's
/// project (<see cref="MeterName"/>), and keeps process-wide totals that tests use to pin round trips.
/// </summary>
public sealed class CosmosRequestMetrics : RequestHandler
{
    /// <summary>The OpenTelemetry meter Enclave's metrics are published under.</summary>
    public const string MeterName = "Enclave";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_calls = s_meter.CreateCounter<long>("enclave.store.calls", description: "Cosmos DB requests, by project and status.");
    private static readonly Counter<double> s_charge = s_meter.CreateCounter<double>("enclave.store.request_charge", "RU", "Cosmos DB request units, by project.");
    private static readonly Histogram<double> s_duration = s_meter.CreateHistogram<double>("enclave.store.duration", "ms", "Cosmos DB request latency, by project.");

    private long _requests;
    private long _chargeMillis;

    /// <summary>Requests sent so far (retries included).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Request units charged so far.</summary>
    public double RequestCharge => Interlocked.Read(ref _chargeMillis) / 1000.0;

    /// <inheritdoc />
    public override async Task<ResponseMessage> SendAsync(RequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await base.SendAsync(request, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        Interlocked.Increment(ref _requests);
        _ = double.TryParse(response.Headers["x-ms-request-charge"], NumberStyles.Float, CultureInfo.InvariantCulture, out var charge);
        Interlocked.Add(ref _chargeMillis, (long)(charge * 1000));

        var meter = StoreMeter.Current;
        meter?.Record(request.Headers["x-ms-documentdb-partitionkey"], charge);

        var tags = new TagList { { "project", meter?.ProjectId ?? "none" }, { "status", (int)response.StatusCode } };
        s_calls.Add(1, tags);
        s_charge.Add(charge, new KeyValuePair<string, object?>("project", meter?.ProjectId ?? "none"));
        s_duration.Record(elapsed.TotalMilliseconds, tags);
        return response;
    }
}
