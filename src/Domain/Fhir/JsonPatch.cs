using System.Text.Json;
using System.Text.Json.Nodes;

namespace Enclave.Domain.Fhir;

/// <summary>
/// JSON Patch (RFC 6902): add, remove, replace, move, copy and test, applied to a copy of a document. Any
/// failure leaves the original untouched and says which operation failed and why.
/// </summary>
public static class JsonPatch
{
    /// <summary>Applies <paramref name="patch"/> (a JSON array of operations) to a copy of <paramref name="document"/>.</summary>
    public static bool TryApply(JsonNode document, string patch, out JsonNode? result, out string error)
    {
        ArgumentNullException.ThrowIfNull(document);
        result = null;
        error = string.Empty;
        JsonArray operations;
        try
        {
            operations = JsonNode.Parse(patch) as JsonArray ?? throw new JsonException();
        }
        catch (JsonException)
        {
            error = "A JSON Patch is a JSON array of operations.";
            return false;
        }

        var target = document.DeepClone();
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject op)
            {
                error = $"Operation {i}: not an object.";
                return false;
            }

            // A failure may have half-applied to the copy; the copy is then dropped.
            if (Apply(ref target, op) is { } problem)
            {
                error = $"Operation {i}: {problem}";
                return false;
            }
        }

        result = target;
        return true;
    }

    /// <summary>Applies one operation; returns a problem, or null on success.</summary>
    private static string? Apply(ref JsonNode target, JsonObject op)
    {
        var name = (string?)op["op"];
        var path = (string?)op["path"];
        if (name is null || path is null)
        {
            return "op and path are required.";
        }

        switch (name)
        {
            case "add":
                return op.ContainsKey("value") ? Add(ref target, path, op["value"]?.DeepClone()) : "add needs a value.";
            case "remove":
                return Remove(ref target, path, out _);
            case "replace":
                if (!op.ContainsKey("value"))
                {
                    return "replace needs a value.";
                }

                return Remove(ref target, path, out _) ?? Add(ref target, path, op["value"]?.DeepClone());
            case "move":
            case "copy":
                var from = (string?)op["from"];
                if (from is null)
                {
                    return $"{name} needs from.";
                }

                if (Get(target, from) is not { Found: true } source)
                {
                    return $"from {from} does not exist.";
                }

                var value = source.Value?.DeepClone();
                return (name == "move" ? Remove(ref target, from, out _) : null) ?? Add(ref target, path, value);
            case "test":
                return Get(target, path) is { Found: true } actual && JsonNode.DeepEquals(actual.Value, op["value"])
                    ? null
                    : $"test failed at {path}.";
            default:
                return $"unknown op {name}.";
        }
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
                case JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count:
                    current = a[i];
                    break;
                default:
                    return (false, null);
            }
        }

        return (true, current);
    }

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
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
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
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                return null;
            default:
                return $"{path} does not exist.";
        }
    }
}
