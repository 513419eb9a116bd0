using System.Text.Json.Nodes;

namespace Enclave.Domain.Search;

/// <summary>
/// What a resource is found by: <see cref="Entries"/> holds, per search parameter code, the values extracted with
/// the parameter's FHIRPath expression (the document's <c>idx</c>); <see cref="Compartments"/> the compartments the
/// resource is in, such as <c>Patient/123</c>.
/// </summary>
/// <param name="Entries">Parameter code → array of index entries (see <see cref="ResourceIndexer"/> for their shapes).</param>
/// <param name="Compartments">The compartments, each as <c>Type/id</c>.</param>
public sealed record ResourceIndex(JsonObject Entries, IReadOnlyList<string> Compartments);
