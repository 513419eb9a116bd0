using System.Text.Json.Serialization;

namespace Enclave.Functions.Hosting;

/// <summary>
/// The answer a custom handler gives the Functions host for a non-HTTP invocation. Property names are the
/// host's, in its casing; output bindings go in <see cref="Outputs"/>.
/// </summary>
public sealed record FunctionsInvocationResult
{
    /// <summary>The acknowledgement of an invocation with no outputs.</summary>
    public static FunctionsInvocationResult Empty { get; } = new();

    /// <summary>Values for output bindings, by binding name.</summary>
    [JsonPropertyName("Outputs")]
    public IReadOnlyDictionary<string, object?> Outputs { get; init; } = new Dictionary<string, object?>();

    /// <summary>Lines the host adds to its invocation log.</summary>
    [JsonPropertyName("Logs")]
    public IReadOnlyList<string> Logs { get; init; } = [];

    /// <summary>The function's return value (for a <c>$return</c> binding).</summary>
    [JsonPropertyName("ReturnValue")]
    public object? ReturnValue { get; init; }
}
