using System.Globalization;
using Enclave.Domain.Tenancy;

namespace Enclave.Domain.Metering;

/// <summary>
/// A project's quotas: configured for every project, and lowered by a project's own setting (a project cannot raise
/// or lift them). Zero means no limit. A setting is a whole number in <c>valueDecimal</c>, checked when the project is
/// written (<see cref="Problem"/>).
/// </summary>
/// <param name="RequestsPerSecond">Requests a second (a token bucket per instance, bursts of one second's worth).</param>
/// <param name="RequestUnitsPerMinute">Cosmos DB request units a minute, counted per instance.</param>
/// <param name="BundleEntries">Entries one batch or transaction may hold (at most the server's 1,000).</param>
/// <param name="ConcurrentExports">Exports and backups running at once.</param>
public sealed record ProjectQuotas(int RequestsPerSecond, int RequestUnitsPerMinute, int BundleEntries, int ConcurrentExports)
{
    /// <summary>Bytes of live resources' JSON the project may store; past it, writes are refused (0: no limit).</summary>
    public long StorageBytes { get; init; }

    /// <summary>Live resources of one type the project may hold; past it, creates of that type are refused (0: no limit).</summary>
    public long ResourcesPerType { get; init; }

    /// <summary>The project settings that set a quota, and the most each may be.</summary>
    public static IReadOnlyDictionary<string, long> Settings { get; } = new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["quotaRequestsPerSecond"] = 100_000,
        ["quotaRequestUnitsPerMinute"] = 100_000_000,
        ["quotaBundleEntries"] = 1000,
        ["quotaConcurrentExports"] = 100,
        ["quotaStorageBytes"] = 20L * 1024 * 1024 * 1024,
        ["quotaResourcesPerType"] = 1_000_000_000,
    };

    /// <summary>These quotas with the project's own settings in place of the defaults.</summary>
    public ProjectQuotas For(IReadOnlyList<ProjectSetting> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // A project's own setting may only lower the configured quota (0, no limit, leaves it as configured): its admins
        // must not lift the limits the platform set.
        long Of(string name, long configured) =>
            settings.FirstOrDefault(s => s?.Name == name)?.ValueDecimal is { } value && value % 1 == 0 && value > 0 && value <= Settings[name]
                ? configured == 0 ? (long)value : Math.Min((long)value, configured)
                : configured;
        return new ProjectQuotas((int)Of("quotaRequestsPerSecond", RequestsPerSecond), (int)Of("quotaRequestUnitsPerMinute", RequestUnitsPerMinute),
            (int)Of("quotaBundleEntries", BundleEntries), (int)Of("quotaConcurrentExports", ConcurrentExports))
        {
            StorageBytes = Of("quotaStorageBytes", StorageBytes),
            ResourcesPerType = Of("quotaResourcesPerType", ResourcesPerType),
        };
    }

    /// <summary>Why <paramref name="setting"/> cannot be stored (naming it), or null when it is no quota or a valid one.</summary>
    public static string? Problem(ProjectSetting setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        if (!Settings.TryGetValue(setting.Name, out var most))
        {
            return null;
        }

        return setting.ValueDecimal is { } value && value % 1 == 0 && value >= 0 && value <= most ? null
            : string.Create(CultureInfo.InvariantCulture, $"setting[{setting.Name}] takes valueDecimal, a whole number from 0 (no limit) to {most:N0}.");
    }
}
