using System.Text.Json.Nodes;

namespace Enclave.Domain.Fhir;

/// <summary>
/// JSON Patch (RFC 6902): add, remove, replace, move, copy and test, applied to a copy of a document. Any
/// failure leaves the original untouched and says which operation failed and why. The patch is scanned against
/// <see cref="ParserLimits"/> before it is read, and no operation may nest the document deeper than they allow.
/// </summary>
public static class JsonPatch
{
    /// <summary>The most JSON values a patched document may hold: far more than a 2 MB resource, far less than memory.</summary>
    public const int MaxNodes = 200_000;

    /// <summary>Applies <paramref name="patch"/> (a JSON array of operations) to a copy of <paramref name="document"/>, within the default limits.</summary>
    public static bool TryApply(JsonNode document, string patch, out JsonNode? result, out string error) =>
        TryApply(document, patch, ParserLimits.Default, out result, out error);

    /// <summary>Applies <paramref name="patch"/> (a JSON array of operations) to a copy of <paramref name="document"/> within <paramref name="limits"/>.</summary>
    public static bool TryApply(JsonNode document, string patch, ParserLimits limits, out JsonNode? result, out string error)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(limits);
        result = null;
        if (!TryRead(patch, limits, out var operations, out error))
        {
            return false;
        }

        var target = document.DeepClone();
        var nodes = Measure(target).Nodes;
        for (var i = 0; i < operations.Count; i++)
        {
            // A failure may have half-applied to the copy; the copy is then dropped.
            if (Apply(ref target, operations[i], limits.MaxDepth, ref nodes) is { } problem)
            {
                error = $"Operation {i}: {problem}";
                return false;
            }
        }

        if (target is not JsonObject)
        {
            error = "The patched document must stay a JSON object (a resource).";
            return false;
        }

        result = target;
        return true;
    }

    /// <summary>
    /// Reads <paramref name="patch"/> without applying it: within <paramref name="limits"/>, an array of objects
    /// each with a known <c>op</c> and a JSON Pointer <c>path</c> (and <c>from</c> where it needs one). A patch
    /// that fails here fails whatever it is applied to, so it can be refused before the resource is read.
    /// </summary>
    public static bool TryRead(string patch, ParserLimits limits, out IReadOnlyList<JsonObject> operations, out string error)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(limits);
        operations = [];
        error = string.Empty;
        if (BodyScanner.Json(patch, limits, resource: false) is { } refused)
        {
            error = $"The JSON Patch cannot be read: {refused.Issue[0].Diagnostics}";
            return false;
        }

        if (JsonNode.Parse(patch) is not JsonArray array)
        {
            error = "A JSON Patch is a JSON array of operations.";
            return false;
        }

        var read = new List<JsonObject>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            var problem = array[i] is JsonObject op ? Problem(op) : "not an object.";
            if (problem is not null)
            {
                error = $"Operation {i}: {problem}";
                return false;
            }

            read.Add((JsonObject)array[i]!);
        }

        operations = read;
        return true;
    }

    /// <summary>What makes <paramref name="op"/> no operation at all, or null.</summary>
    private static string? Problem(JsonObject op)
    {
        var name = Text(op, "op");
        var path = Text(op, "path");
        if (name is null || path is null)
        {
            return "op and path are required, as strings.";
        }

        if (!IsPointer(path))
        {
            return $"path '{path}' is not a JSON Pointer (empty, or starting with '/').";
        }

        return name switch
        {
            "add" or "replace" or "test" when !op.ContainsKey("value") => $"{name} needs a value.",
            "move" or "copy" when Text(op, "from") is not { } from || !IsPointer(from) => $"{name} needs from, a JSON Pointer.",
            "add" or "remove" or "replace" or "move" or "copy" or "test" => null,
            _ => $"unknown op {name}.",
        };
    }

    /// <summary>Applies one operation (read by <see cref="TryRead"/>); returns a problem, or null on success.</summary>
    private static string? Apply(ref JsonNode target, JsonObject op, int maxDepth, ref int nodes)
    {
        var name = Text(op, "op")!;
        var path = Text(op, "path")!;

        switch (name)
        {
            case "add":
                return op.ContainsKey("value") ? AddBounded(ref target, path, op["value"]?.DeepClone(), maxDepth, ref nodes) : "add needs a value.";
            case "remove":
                return Remove(ref target, path, out _);
            case "replace":
                if (!op.ContainsKey("value"))
                {
                    return "replace needs a value.";
                }

                return Remove(ref target, path, out _) ?? AddBounded(ref target, path, op["value"]?.DeepClone(), maxDepth, ref nodes);
            case "move":
            case "copy":
                var from = Text(op, "from");
                if (from is null || !IsPointer(from))
                {
                    return $"{name} needs from, a JSON Pointer.";
                }

                if (Get(target, from) is not { Found: true } source)
                {
                    return $"from {from} does not exist.";
                }

                var value = source.Value?.DeepClone();
                return (name == "move" ? Remove(ref target, from, out _) : null) ?? AddBounded(ref target, path, value, maxDepth, ref nodes);
            case "test":
                return Get(target, path) is { Found: true } actual && JsonNode.DeepEquals(actual.Value, op["value"])
                    ? null
                    : $"test failed at {path}.";
            default:
                return $"unknown op {name}.";
        }
    }

    /// <summary>
    /// Adds a value from the patch (scanned) or the document (kept within the limits by every operation before), unless
    /// the result would nest deeper than <paramref name="maxDepth"/> or hold more than <see cref="MaxNodes"/> values in
    /// all: <c>copy</c> could otherwise double the document at every step.
    /// </summary>
    private static string? AddBounded(ref JsonNode target, string path, JsonNode? value, int maxDepth, ref int nodes)
    {
        var (depth, added) = Measure(value);
        if (Tokens(path).Length + depth > maxDepth)
        {
            return $"the result would nest deeper than {maxDepth} levels.";
        }

        nodes += added;
        return nodes > MaxNodes ? $"the result would hold more than {MaxNodes} JSON values." : Add(ref target, path, value);
    }

    private static string? Text(JsonObject op, string name) =>
        op[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool IsPointer(string path) => path.Length == 0 || path[0] == '/';

    /// <summary>
    /// How many levels of objects and arrays <paramref name="node"/> holds (0 for a value) and how many JSON values it is
    /// made of, counted without recursion.
    /// </summary>
    private static (int Depth, int Nodes) Measure(JsonNode? node)
    {
        var deepest = 0;
        var count = 0;
        var pending = new Stack<(JsonNode? Node, int Depth)>();
        pending.Push((node, 0));
        while (pending.Count > 0)
        {
            var (current, depth) = pending.Pop();
            count++;
            IEnumerable<JsonNode?> children = current switch
            {
                JsonObject o => o.Select(p => p.Value),
                JsonArray a => a,
                _ => [],
            };
            if (current is JsonObject or JsonArray)
            {
                deepest = Math.Max(deepest, depth + 1);
                foreach (var child in children)
                {
                    pending.Push((child, depth + 1));
                }
            }
        }

        return (deepest, count);
    }

    private static string[] Tokens(string path) =>
        path.Length == 0 ? [] : [.. path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];

    private static (bool Found, JsonNode? Value) Get(JsonNode node, string path)
    {
        if (path.Length > 0 && path[0] != '/')
        {
            return (false, null);
        }

        JsonNode? current = node;
        foreach (var token in Tokens(path))
        {
            switch (current)
            {
                case JsonObject o when o.TryGetPropertyValue(token, out var child):
                    current = child;
                    break;
                case JsonArray a when Index(token) is { } i && i < a.Count:
                    current = a[i];
                    break;
                default:
                    return (false, null);
            }
        }

        return (true, current);
    }

    /// <summary>An array index token: digits only (RFC 6901), no sign or spaces.</summary>
    private static int? Index(string token) =>
        int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : null;

    private static string? Add(ref JsonNode target, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        if (tokens.Length == 0)
        {
            target = value ?? JsonValue.Create((string?)null)!;
            return null;
        }

        var parentPath = path[..path.LastIndexOf('/')];
        if (Get(target, parentPath) is not { Found: true, Value: { } parent })
        {
            return $"the parent of {path} does not exist.";
        }

        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                return null;
            case JsonArray a when last == "-":
                a.Add(value);
                return null;
            case JsonArray a when Index(last) is { } i && i <= a.Count:
                a.Insert(i, value);
                return null;
            default:
                return $"{path} is not a valid place to add.";
        }
    }

    private static string? Remove(ref JsonNode target, string path, out JsonNode? removed)
    {
        removed = null;
        var tokens = Tokens(path);
        if (tokens.Length == 0)
        {
            return "the whole document cannot be removed.";
        }

        if (Get(target, path[..path.LastIndexOf('/')]) is not { Found: true, Value: { } parent })
        {
            return $"{path} does not exist.";
        }

        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                removed = o[last];
                o.Remove(last);
                return null;
            case JsonArray a when Index(last) is { } i && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                return null;
            default:
                return $"{path} does not exist.";
        }
    }
}
