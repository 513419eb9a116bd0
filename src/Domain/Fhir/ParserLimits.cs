namespace Enclave.Domain.Fhir;

/// <summary>
/// How much structure a request body may carry before it is parsed: every parser of client input (resources in
/// JSON and XML, JSON Patch) checks these first, without recursion, so no body can exhaust the stack or the heap.
/// </summary>
/// <param name="MaxDepth">The deepest nesting: JSON objects and arrays, or XML elements (the root is level 1).</param>
/// <param name="MaxArrayLength">The most items in one JSON array, or child elements of one XML element.</param>
/// <param name="MaxStringLength">The longest JSON string or XML attribute value or text, in UTF-16 characters.</param>
public sealed record ParserLimits(int MaxDepth = ParserLimits.DefaultMaxDepth, int MaxArrayLength = ParserLimits.DefaultMaxArrayLength,
    int MaxStringLength = ParserLimits.DefaultMaxStringLength)
{
    /// <summary>64 levels: the System.Text.Json default, well above any resource's real nesting.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>10,000 items: more than a Bundle may hold entries.</summary>
    public const int DefaultMaxArrayLength = 10_000;

    /// <summary>1 Mi characters: half the largest body.</summary>
    public const int DefaultMaxStringLength = 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static ParserLimits Default { get; } = new();
}
