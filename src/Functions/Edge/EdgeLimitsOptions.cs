using System.ComponentModel.DataAnnotations;
using Enclave.Domain.Fhir;

namespace Enclave.Functions.Edge;

/// <summary>
/// What one request may be at the edge, before any route sees it (configuration section <c>Limits</c>; every value and
/// its default is listed in <c>docs/limits.md</c>). Beyond a limit the answer is a 4xx OperationOutcome.
/// </summary>
public sealed class EdgeLimitsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Limits";

    /// <summary>The largest request body (413 beyond it): a Cosmos DB document holds at most 2 MB, so it cannot be raised past that.</summary>
    [Range(1024, 2 * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>The longest path and query string, in characters (414 beyond it).</summary>
    [Range(256, 1024 * 1024)]
    public int MaxUrlLength { get; set; } = 8 * 1024;

    /// <summary>The most bytes of all request headers, names and values together (431 beyond it).</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxHeaderBytes { get; set; } = 16 * 1024;

    /// <summary>The most query-string values in one request (400 beyond it).</summary>
    [Range(1, 10_000)]
    public int MaxQueryValues { get; set; } = 200;

    /// <summary>The most fields of a form body (<c>_search</c>, the token endpoint); 400 beyond it.</summary>
    [Range(1, 10_000)]
    public int MaxFormFields { get; set; } = 200;

    /// <summary>The longest value of one form field, in bytes; 400 beyond it.</summary>
    [Range(64, 1024 * 1024)]
    public int MaxFormValueBytes { get; set; } = 16 * 1024;

    /// <summary>The longest name of one form field, in bytes; 400 beyond it.</summary>
    [Range(16, 64 * 1024)]
    public int MaxFormKeyBytes { get; set; } = 1024;

    /// <summary>The deepest nesting of a JSON or XML body (400 beyond it); Firely's JSON reader stops at 64, so it cannot be raised past that.</summary>
    [Range(4, ParserLimits.DefaultMaxDepth)]
    public int MaxDepth { get; set; } = ParserLimits.DefaultMaxDepth;

    /// <summary>
    /// The most items in one JSON array or child elements of one XML element (400 beyond it). It can only be lowered:
    /// stored resources are read back through the default limits.
    /// </summary>
    [Range(1, ParserLimits.DefaultMaxArrayLength)]
    public int MaxArrayLength { get; set; } = ParserLimits.DefaultMaxArrayLength;

    /// <summary>The longest JSON string or XML value, in characters (400 beyond it); like the others, it can only be lowered.</summary>
    [Range(1, ParserLimits.DefaultMaxStringLength)]
    public int MaxStringLength { get; set; } = ParserLimits.DefaultMaxStringLength;

    /// <summary>The parser limits these options set.</summary>
    public ParserLimits Parser => new(MaxDepth, MaxArrayLength, MaxStringLength);
}
