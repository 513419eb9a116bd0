using Microsoft.Azure.Cosmos;

namespace Enclave.Storage.Cosmos;

/// <summary>
/// The one place a logical partition of Enclave's container is named: a project's (its resources and tenancy
/// documents), or one of the few lookup partitions that share the key path (the user, client and login indexes).
/// Its <see cref="Key"/> is the only <see cref="PartitionKey"/> built in <c>src/</c> and <see cref="Predicate"/> the only
/// text of the project filter, so a hierarchical key (ADR 0002) is a change to this class alone.
/// </summary>
public sealed class ProjectPartition
{
    /// <summary>The container's partition key path.</summary>
    public const string Path = "/projectId";

    /// <summary>The query parameter that holds <see cref="Value"/> in <see cref="Query"/>.</summary>
    private const string ValueParameter = "@projectId";

    private ProjectPartition(string value)
    {
        Value = value;
        Key = new PartitionKey(value);
    }

    /// <summary>The partition of <paramref name="value"/>: a project id, or a lookup partition's name.</summary>
    /// <exception cref="ArgumentException">When <paramref name="value"/> is empty: no document lives in no partition.</exception>
    public static ProjectPartition Of(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return new(value);
    }

    /// <summary>The partition key value (the documents' <c>projectId</c>).</summary>
    public string Value { get; }

    /// <summary>The key of point operations and transactional batches in this partition.</summary>
    public PartitionKey Key { get; }

    /// <summary>The project filter of a query, on the SQL parameter <paramref name="parameter"/>: the only text of it.</summary>
    public static string Predicate(string parameter) => $"c.projectId = {parameter}";

    /// <summary>
    /// <c>{select} FROM c WHERE</c> the project filter <c>AND {condition}</c>: a query confined to this partition in its
    /// text as well as in its <see cref="Options"/> (the SQL filter is the second fence, should options ever be lost).
    /// </summary>
    public QueryDefinition Query(string select, string condition) =>
        new QueryDefinition($"{select} FROM c WHERE {Predicate(ValueParameter)} AND {condition}").WithParameter(ValueParameter, Value);

    /// <summary>
    /// The options of a query of this partition. Optimistic direct execution sends it straight to the partition: without
    /// it the SDK (which cannot plan queries itself on Linux) first asks the gateway for a query plan, a second round trip.
    /// </summary>
    public QueryRequestOptions Options(int? pageSize = null) =>
        new() { PartitionKey = Key, MaxItemCount = pageSize, EnableOptimisticDirectExecution = true };
}
