using Enclave.Domain.Fhir;
using Enclave.Storage.Fhir;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Fhir;

/// <summary>The store contract against Cosmos DB (the emulator).</summary>
public sealed class CosmosResourceStoreContractTests(CosmosDatabaseFixture cosmos) : ResourceStoreContract, IClassFixture<CosmosDatabaseFixture>
{
    /// <inheritdoc />
    protected override IResourceStore Store { get; } = new CosmosResourceStore(cosmos.Container, TimeProvider.System);
}
