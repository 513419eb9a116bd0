using System.Text.Json;
using System.Text.Json.Nodes;

namespace Enclave.Domain.Search;

/// <summary>
/// Cosmos DB's ORDER BY order of JSON values: missing &lt; null &lt; booleans &lt; numbers &lt; strings (ordinal),
/// so that in-memory sorting agrees with the database.
/// </summary>
public sealed class SortComparer : IComparer<JsonNode?>
{
    /// <summary>The one instance.</summary>
    public static SortComparer Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(JsonNode? x, JsonNode? y)
    {
        var (rx, ry) = (Rank(x), Rank(y));
        if (rx != ry)
        {
            return rx.CompareTo(ry);
        }

        return rx switch
        {
            3 => x!.GetValue<decimal>().CompareTo(y!.GetValue<decimal>()),
            4 => string.CompareOrdinal(x!.GetValue<string>(), y!.GetValue<string>()),
            2 => x!.GetValue<bool>().CompareTo(y!.GetValue<bool>()),
            _ => 0,
        };
    }

    private static int Rank(JsonNode? node) => node?.GetValueKind() switch
    {
        null => 0,
        JsonValueKind.Null => 1,
        JsonValueKind.True or JsonValueKind.False => 2,
        JsonValueKind.Number => 3,
        JsonValueKind.String => 4,
        _ => 5,
    };
}
