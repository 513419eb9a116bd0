using System.Globalization;
using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;

namespace Enclave.Testing;

/// <summary>Enclave's configuration keys for a set of options, as the app binds them.</summary>
public static class AppSettings
{
    /// <summary>The settings for the given emulator options, with a fresh super-admin client and signing key file.</summary>
    public static Dictionary<string, string?> For(CosmosOptions cosmos, AzureStorageOptions storage) => new()
    {
        // A development key file of its own, in a folder of its own.
        ["SigningKeys:LocalKeyFile"] = Path.Combine(Path.GetTempPath(), $"enclave-{Guid.NewGuid():N}", "signing-key.pem"),
        ["Auth:BootstrapClientId"] = $"admin-{Guid.NewGuid():N}",
        ["Auth:BootstrapClientSecret"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Cosmos:Endpoint"] = cosmos.Endpoint?.ToString(),
        ["Cosmos:Key"] = cosmos.Key,
        ["Cosmos:DatabaseName"] = cosmos.DatabaseName,
        ["Cosmos:ConnectionMode"] = cosmos.ConnectionMode.ToString(),
        ["Cosmos:LimitToEndpoint"] = cosmos.LimitToEndpoint.ToString(CultureInfo.InvariantCulture),
        ["Cosmos:CreateIfNotExists"] = cosmos.CreateIfNotExists.ToString(CultureInfo.InvariantCulture),
        ["Storage:ConnectionString"] = storage.ConnectionString,
        ["Storage:ExportContainerName"] = storage.ExportContainerName,
        ["Storage:ExportQueueName"] = storage.ExportQueueName,
        ["Storage:CreateIfNotExists"] = storage.CreateIfNotExists.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The same settings as environment variables (<c>Section__Key</c>), as the Functions host passes app settings.</summary>
    public static Dictionary<string, string?> AsEnvironment(IReadOnlyDictionary<string, string?> settings) =>
        settings.ToDictionary(pair => pair.Key.Replace(":", "__", StringComparison.Ordinal), pair => pair.Value);
}
