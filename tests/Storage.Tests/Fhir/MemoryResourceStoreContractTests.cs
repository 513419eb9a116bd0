using Enclave.Domain.Fhir;
using Enclave.Storage.Memory;

namespace Enclave.Storage.Tests.Fhir;

/// <summary>The same contract against the memory store.</summary>
public sealed class MemoryResourceStoreContractTests : ResourceStoreContract
{
    /// <inheritdoc />
    protected override IResourceStore Store { get; } = new MemoryResourceStore(TimeProvider.System);
}
