using Enclave.Domain.Fhir;
using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Fhir;

/// <summary>
/// FHIR resources in Enclave's container, one logical partition per project. Every operation goes through a view bound
/// to a caller's scope (<see cref="For"/>, <see cref="CosmosProjectResources"/>). <paramref name="time"/> is what
/// <c>ap</c> search dates are near; <paramref name="usage"/>, when given, counts each project's live resources and their
/// bytes as commits change them.
/// </summary>
public sealed class CosmosResourceStore(Container container, TimeProvider time, Metering.UsageLedger? usage = null) : IResourceStore
{
    /// <summary>The most operations one TransactionalBatch may hold.</summary>
    public const int MaxBatchOperations = 100;

    /// <inheritdoc />
    public IProjectResources For(ProjectScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new CosmosProjectResources(container, time, scope, usage);
    }
}
