namespace Enclave.Testing;

/// <summary>Where the tests' Cosmos DB and Azure Storage are.</summary>
/// <param name="CosmosEndpoint">The Cosmos account endpoint.</param>
/// <param name="CosmosKey">The account key; null means sign in with <c>DefaultAzureCredential</c>.</param>
/// <param name="StorageConnectionString">An Azure Storage connection string.</param>
/// <param name="IsEmulator">True for the local emulators (Gateway mode, limited to the endpoint).</param>
public sealed record EmulatorEndpoints(Uri CosmosEndpoint, string? CosmosKey, string StorageConnectionString, bool IsEmulator);
