using System.Collections.Concurrent;
using System.Globalization;
using Enclave.Domain.Fhir;
using Enclave.Domain.Metering;
using Enclave.Functions.Auth;
using Enclave.Functions.Export;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;
using Enclave.Storage.Metering;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Metering;

/// <summary>
/// Admits a caller's request under its project's quotas, on this instance alone (no shared state, no round trip: ADR
/// 0006): a token bucket of <c>quotaRequestsPerSecond</c>, and the request units this instance charged the project in
/// the current minute against <c>quotaRequestUnitsPerMinute</c>. Over a limit: 429 with <c>Retry-After</c> and an
/// OperationOutcome that names the limit. Of a membership's refusals by one of these limits, the first of each minute is
/// recorded in the audit trail and the rest only counted in the project's usage (ADR 0006): a flood must not become
/// the writes its quota is there to prevent.
/// </summary>
public sealed class QuotaGate(UsageLedger usage, TimeProvider time, IOptions<MeteringOptions> metering, IOptions<ExportOptions> export)
{
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Project, string Membership, string Limit), long> _recorded = new();

    /// <summary>The <see cref="HttpContext.Items"/> key of a refusal the audit trail does not record (one of its minute was).</summary>
    public static readonly object Unrecorded = new();

    /// <summary>The <see cref="HttpContext.Items"/> key of the minute a refusal took the record of.</summary>
    private static readonly object s_claim = new();

    /// <summary>The quotas of <paramref name="caller"/>'s project.</summary>
    public ProjectQuotas QuotasOf(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return metering.Value.Quotas(export.Value.MaxConcurrentJobsPerProject).For(caller.Settings);
    }

    /// <summary>The interactions that store more: refused once the project's storage is spent.</summary>
    private static readonly HashSet<string> s_growing = new(StringComparer.Ordinal) { "create", "update", "patch", "batch" };

    /// <summary>Null when the request may run; otherwise the 429 to answer.</summary>
    public IResult? Refusal(HttpContext http, Caller caller, FunctionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(http);
        var quotas = QuotasOf(caller);
        var now = time.GetUtcNow();
        if (quotas.RequestsPerSecond > 0)
        {
            var bucket = _buckets.AddOrUpdate(caller.ProjectId, _ => new TokenBucket(quotas.RequestsPerSecond, quotas.RequestsPerSecond, now),
                (_, existing) => existing.Rate == quotas.RequestsPerSecond ? existing : new TokenBucket(quotas.RequestsPerSecond, quotas.RequestsPerSecond, now));
            if (bucket.TryTake(now) is { } wait)
            {
                RecordOncePerMinute(http, caller, "quotaRequestsPerSecond", now);
                return Refuse(http, "quotaRequestsPerSecond", wait, $"This project may send {quotas.RequestsPerSecond} requests a second; retry after Retry-After.");
            }
        }

        if (quotas.RequestUnitsPerMinute > 0 && usage.RequestChargeThisMinute(caller.ProjectId) >= quotas.RequestUnitsPerMinute)
        {
            var nextMinute = TimeSpan.FromSeconds(60 - (now.ToUnixTimeMilliseconds() % 60_000 / 1000.0));
            RecordOncePerMinute(http, caller, "quotaRequestUnitsPerMinute", now);
            return Refuse(http, "quotaRequestUnitsPerMinute", nextMinute, $"This project may spend {quotas.RequestUnitsPerMinute} request units a minute; retry after Retry-After.");
        }

        return entry.Audited?.Interaction is { } interaction && s_growing.Contains(interaction) ? StorageRefusal(http, caller, quotas, interaction) : null;
    }

    /// <summary>Marks the refusal <see cref="Unrecorded"/> unless it is the first by <paramref name="limit"/> of <paramref name="caller"/>'s membership this minute.</summary>
    private void RecordOncePerMinute(HttpContext http, Caller caller, string limit, DateTimeOffset now)
    {
        var minute = now.ToUnixTimeSeconds() / 60;
        var key = (caller.ProjectId, caller.Membership.Id, limit);
        var existed = _recorded.TryGetValue(key, out var last);
        if (existed && last >= minute)
        {
            http.Items[Unrecorded] = true;
            return;
        }

        if (existed ? !_recorded.TryUpdate(key, minute, last) : !_recorded.TryAdd(key, minute))
        {
            http.Items[Unrecorded] = true; // a concurrent refusal of the same minute took the record
            return;
        }

        http.Items[s_claim] = KeyValuePair.Create(key, minute);

        if (_recorded.Count > 10_000)
        {
            foreach (var stale in _recorded.Where(r => r.Value < minute))
            {
                _recorded.TryRemove(stale);
            }
        }
    }

    /// <summary>
    /// The record of this request's refusal, the minute's first, could not be stored: the next refusal of the minute
    /// is recorded instead, so that the trail shows the throttling once the database takes writes again.
    /// </summary>
    public void RecordFailed(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items[s_claim] is KeyValuePair<(string, string, string), long> claim)
        {
            _recorded.TryRemove(claim); // no entry and an earlier minute's both leave the minute to be recorded
        }
    }

    /// <summary>
    /// A write refused because the project stores <c>quotaStorageBytes</c> already, or a create because it holds
    /// <c>quotaResourcesPerType</c> of the type (as far as this instance knows: ADR 0006).
    /// </summary>
    private IResult? StorageRefusal(HttpContext http, Caller caller, ProjectQuotas quotas, string interaction)
    {
        if (quotas.StorageBytes == 0 && quotas.ResourcesPerType == 0)
        {
            return null;
        }

        var type = http.Request.RouteValues["type"] as string ?? string.Empty;
        if (usage.Stored(caller.ProjectId, type) is not { } stored)
        {
            return null;
        }

        if (quotas.StorageBytes > 0 && stored.Bytes >= quotas.StorageBytes)
        {
            return Refuse(http, "quotaStorageBytes", TimeSpan.FromMinutes(1), $"This project stores {stored.Bytes:N0} bytes of resources, its quota of {quotas.StorageBytes:N0}; delete or expunge some first.");
        }

        return quotas.ResourcesPerType > 0 && interaction == "create" && stored.Count >= quotas.ResourcesPerType
            ? Refuse(http, "quotaResourcesPerType", TimeSpan.FromMinutes(1), $"This project holds {stored.Count:N0} {type} resources, its quota of {quotas.ResourcesPerType:N0}.")
            : null;
    }

    /// <summary>429 naming <paramref name="limit"/>, with Retry-After in whole seconds (at least one).</summary>
    public static IResult Refuse(HttpContext http, string limit, TimeSpan wait, string message)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        http.Items[typeof(QuotaGate)] = limit; // counted as refused in the project's usage
        return FhirJson.Write(FhirErrors.Outcome(OperationOutcome.IssueType.Throttled, $"{limit}: {message}", limit), FhirHttp.Format(http), StatusCodes.Status429TooManyRequests);
    }
}
