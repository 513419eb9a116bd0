using System.Globalization;
using System.Text.Json.Nodes;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Invocation;
using Enclave.Storage.Metering;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Metering;

/// <summary>
/// <c>GET fhir/R4/Project/{id}/$usage?from=&amp;to=</c>: a project's usage per minute (every instance's counts summed),
/// its totals over the range, its stored resources per type, and how close it is to Cosmos DB's logical-partition
/// ceilings (20 GB, 10,000 RU/s), with warnings past <see cref="MeteringOptions.PartitionWarningFraction"/>. Project
/// admins read their own project's; super admins any project's.
/// </summary>
public sealed class UsageFunctions(UsageLedger usage, TimeProvider time, IOptions<MeteringOptions> options)
{
    /// <summary>The longest range one answer covers (one row a minute).</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(1);

    /// <summary>The project's usage between <c>from</c> (default: an hour before <c>to</c>) and <c>to</c> (default: now).</summary>
    [Function("ProjectUsage")]
    [Audited("operation", "R")]
    public async Task<IResult> UsageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/Project/{id}/$usage")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var caller = request.HttpContext.Caller();
        if (!caller.SuperAdmin && !caller.AdministersProject(id))
        {
            return ErrorMap.Answer(ErrorKind.Forbidden, "Only this project's admins and super admins read its usage.");
        }

        var (from, to, invalid) = Range(request.Query["from"], request.Query["to"]);
        if (invalid is not null)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, invalid);
        }

        var (minutes, storage) = await usage.ReadAsync(id, from, to, cancellationToken);
        var total = new JsonObject();
        double busiest = 0;
        foreach (var minute in minutes)
        {
            UsageLedger.Sum(total, minute);
            busiest = Math.Max(busiest, minute["requestCharge"]!.GetValue<double>() / 60);
        }

        var bytes = storage.Sum(t => t.Value!["bytes"]!.GetValue<long>());
        var fraction = options.Value.PartitionWarningFraction;
        var warnings = new JsonArray();
        if (bytes >= fraction * UsageLedger.PartitionStorageBytes)
        {
            warnings.Add($"The project stores {bytes:N0} bytes of resources, past {fraction:P0} of a logical partition's 20 GB: plan the move to a hierarchical partition key (docs/deploy.md).");
        }

        if (busiest >= fraction * UsageLedger.PartitionRequestUnitsPerSecond)
        {
            warnings.Add($"The project used {busiest:N0} RU/s in its busiest minute, past {fraction:P0} of a logical partition's 10,000 RU/s (docs/deploy.md).");
        }

        return Results.Json(new JsonObject
        {
            ["project"] = Reference.To(nameof(Project), id).Value,
            ["from"] = Text(from),
            ["to"] = Text(to),
            ["minutes"] = new JsonArray([.. minutes]),
            ["total"] = total,
            ["storage"] = new JsonObject { ["bytes"] = bytes, ["resources"] = storage.Sum(t => t.Value!["count"]!.GetValue<long>()), ["types"] = storage },
            ["partition"] = new JsonObject
            {
                ["storageFraction"] = Math.Round((double)bytes / UsageLedger.PartitionStorageBytes, 6),
                ["busiestRequestUnitsPerSecond"] = Math.Round(busiest, 1),
                ["throughputFraction"] = Math.Round(busiest / UsageLedger.PartitionRequestUnitsPerSecond, 6),
                ["warnings"] = warnings,
            },
        });
    }

    private (DateTimeOffset From, DateTimeOffset To, string? Invalid) Range(string? fromText, string? toText)
    {
        var to = time.GetUtcNow();
        if (toText is not null && (!DateTimeOffset.TryParse(toText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out to) || to.Year is < 2000 or > 9000))
        {
            return (default, default, "to must be a dateTime between the years 2000 and 9000.");
        }

        var from = to - TimeSpan.FromHours(1);
        if (fromText is not null && (!DateTimeOffset.TryParse(fromText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out from) || from.Year is < 2000 or > 9000))
        {
            return (default, default, "from must be a dateTime between the years 2000 and 9000.");
        }

        return from > to ? (from, to, "from must not be after to.")
            : to - from > MaxRange ? (from, to, "A usage answer covers at most one day: ask for several.")
            : (from, to, null);
    }

    private static string Text(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
