using System.Reflection;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json;

namespace Enclave.Storage.Cosmos;

/// <summary>
/// The physical layout of Enclave's container: its partition key and its indexing policy. Kept in one place so
/// that a later move to a hierarchical key (first level <c>projectId</c>) touches only this type.
/// </summary>
public static class CosmosLayout
{
    /// <summary>The partition key path: one logical partition per project.</summary>
    public const string PartitionKeyPath = ProjectPartition.Path;

    private const string IndexingPolicyResource = "Enclave.Storage.Cosmos.indexing-policy.json";

    /// <summary>
    /// The indexing policy's JSON text, shared with <c>infra/bicep</c> (which loads the same file), so the app and
    /// the deployment cannot drift apart.
    /// </summary>
    public static string IndexingPolicyJson { get; } = ReadIndexingPolicyJson();

    /// <summary>
    /// Time to live is on with no default (-1): documents live forever unless they carry their own <c>ttl</c>
    /// (logins do, so they clean themselves up).
    /// </summary>
    public const int DefaultTimeToLive = -1;

    /// <summary>The container definition for <paramref name="containerName"/>.</summary>
    public static ContainerProperties ContainerProperties(string containerName) => new(containerName, PartitionKeyPath)
    {
        DefaultTimeToLive = DefaultTimeToLive,
        IndexingPolicy = JsonConvert.DeserializeObject<IndexingPolicy>(IndexingPolicyJson)
            ?? throw new InvalidOperationException("The embedded indexing policy is empty."),
    };

    private static string ReadIndexingPolicyJson()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(IndexingPolicyResource)
            ?? throw new InvalidOperationException($"Missing embedded resource {IndexingPolicyResource}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
