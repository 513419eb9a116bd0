using Newtonsoft.Json.Linq;

namespace Enclave.Storage.Tests.Emulator;

/// <summary>
/// One query of the matrix and its oracle: the expected results computed with LINQ over the documents in scope.
/// <see cref="Ordered"/> says whether the order of results is part of the contract.
/// </summary>
internal sealed record QueryCase(
    string Name,
    string Sql,
    Func<IEnumerable<QueryDocument>, IEnumerable<JToken>> Expected,
    bool Ordered,
    IReadOnlyDictionary<string, object>? Parameters = null)
{
    public override string ToString() => Name;
}
