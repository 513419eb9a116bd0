using System.Text;
using System.Text.Json;
using System.Xml;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Reads a body once, token by token and without recursion, before any parser builds a tree of it: too deep, too
/// long or duplicated structure is refused here with a 400 outcome naming where, so the parsers behind (Firely's,
/// <c>JsonNode</c>) only ever see bodies they handle safely.
/// </summary>
internal static class BodyScanner
{
    /// <summary>
    /// Problems of JSON <paramref name="json"/>: not JSON, nested deeper or longer than <paramref name="limits"/>,
    /// a key twice in one object, a <c>resourceType</c> that is not exactly a FHIR R4 type; and, when
    /// <paramref name="resource"/>, a root that is not an object. Null when there are none.
    /// </summary>
    public static OperationOutcome? Json(string json, ParserLimits limits, bool resource)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = limits.MaxDepth });

        // One frame per open object or array; key sets are reused per level. Paths are built only for a refusal.
        var frames = new List<Frame>();
        var keySets = new List<HashSet<string>>();
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                if (token == JsonTokenType.PropertyName)
                {
                    var frame = frames[^1];
                    frame.Property = reader.GetString()!;
                    if (frame.Property.Length == 0)
                    {
                        return Problem("A key is empty; FHIR JSON names every element.", Path(frames));
                    }

                    if (!frame.Keys!.Add(frame.Property))
                    {
                        return Problem($"The key '{frame.Property}' appears twice in one object.", Path(frames));
                    }

                    continue;
                }

                if (token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    frames.RemoveAt(frames.Count - 1);
                    continue;
                }

                if (frames.Count > 0 && frames[^1] is { Keys: null } array && ++array.Items > limits.MaxArrayLength)
                {
                    return Problem($"An array holds more than {limits.MaxArrayLength} items.", Path(frames));
                }

                if (frames.Count == 0 && resource && token != JsonTokenType.StartObject)
                {
                    return Problem("The body is not a FHIR resource: a JSON object is expected.");
                }

                switch (token)
                {
                    case JsonTokenType.StartObject:
                        while (keySets.Count <= frames.Count)
                        {
                            keySets.Add(new HashSet<string>(StringComparer.Ordinal));
                        }

                        var keys = keySets[frames.Count];
                        keys.Clear();
                        frames.Add(new Frame { Keys = keys });
                        break;
                    case JsonTokenType.StartArray:
                        frames.Add(new Frame());
                        break;
                    case JsonTokenType.String:
                        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                        if (length > limits.MaxStringLength && reader.GetString()!.Length > limits.MaxStringLength)
                        {
                            return Problem($"A string is longer than {limits.MaxStringLength} characters.", Path(frames));
                        }

                        // Unescaped control characters are not JSON at all; escaped ones are not FHIR (datatypes.html#string).
                        if (reader.ValueIsEscaped && reader.GetString()!.Any(c => c < ' ' && c is not ('\t' or '\n' or '\r')))
                        {
                            return Problem("A string holds a control character; FHIR strings allow only tab, carriage return and line feed.", Path(frames));
                        }

                        if (frames.Count > 0 && frames[^1].Property == "resourceType" && reader.GetString() is { } type && !ResourceTypes.IsKnown(type))
                        {
                            return Problem($"'{type}' is not a FHIR R4 resource type (type names are case-sensitive).", Path(frames));
                        }

                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : string.Empty;
            return Problem(frames.Count >= limits.MaxDepth
                ? $"The body nests deeper than {limits.MaxDepth} levels{where}."
                : $"The body is not valid JSON{where}.");
        }
        catch (InvalidOperationException)
        {
            // An escape that is no UTF-16 text (a lone surrogate, \ud800) cannot be read as a string.
            return Problem("A string holds an escape that is not valid UTF-16 text (a lone surrogate).", Path(frames));
        }

        return null;
    }

    /// <summary>An open object (with its keys and the last one read) or array (with its item count).</summary>
    private sealed class Frame
    {
        public HashSet<string>? Keys { get; init; }

        public string? Property { get; set; }

        public int Items { get; set; }
    }

    /// <summary>Where the reader is, e.g. <c>$.name[0].family</c>.</summary>
    private static string Path(List<Frame> frames)
    {
        var path = new StringBuilder("$");
        foreach (var frame in frames)
        {
            _ = frame.Keys is null ? path.Append('[').Append(Math.Max(frame.Items - 1, 0)).Append(']') : path.Append('.').Append(frame.Property);
        }

        return path.ToString();
    }

    /// <summary>
    /// Problems of XML <paramref name="xml"/>, read with DTDs prohibited and no resolver (no entity expansion, no
    /// external fetches): not well-formed, nested deeper or longer than <paramref name="limits"/>. Null when there are none.
    /// </summary>
    public static OperationOutcome? Xml(string xml, ParserLimits limits)
    {
        // Child-element counts of the open elements; the path of element names for messages.
        var children = new Stack<int>();
        var path = new Stack<string>();
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings());
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (reader.Depth + 1 > limits.MaxDepth)
                        {
                            return Problem($"The body nests deeper than {limits.MaxDepth} levels.", XmlPath(path));
                        }

                        if (children.Count > 0)
                        {
                            var count = children.Pop() + 1;
                            if (count > limits.MaxArrayLength)
                            {
                                return Problem($"An element holds more than {limits.MaxArrayLength} child elements.", XmlPath(path));
                            }

                            children.Push(count);
                        }

                        var empty = reader.IsEmptyElement;
                        var name = reader.LocalName;
                        for (var more = reader.MoveToFirstAttribute(); more; more = reader.MoveToNextAttribute())
                        {
                            if (reader.Value.Length > limits.MaxStringLength)
                            {
                                return Problem($"A value is longer than {limits.MaxStringLength} characters.", $"{XmlPath(path)}/{name}/@{reader.LocalName}");
                            }
                        }

                        if (!empty)
                        {
                            children.Push(0);
                            path.Push(name);
                        }

                        break;
                    case XmlNodeType.EndElement:
                        children.Pop();
                        path.Pop();
                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                        if (reader.Value.Length > limits.MaxStringLength)
                        {
                            return Problem($"A text is longer than {limits.MaxStringLength} characters.", XmlPath(path));
                        }

                        break;
                }
            }
        }
        catch (XmlException ex)
        {
            return Problem($"The body is not valid XML (line {ex.LineNumber}, position {ex.LinePosition}).");
        }

        return null;
    }

    /// <summary>Settings for every XML reader of client input: no DTD, no resolver, comments and processing instructions skipped.</summary>
    public static XmlReaderSettings ReaderSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    private static string XmlPath(Stack<string> path) => "/" + string.Join('/', path.Reverse());

    private static OperationOutcome Problem(string message, string? location = null) =>
        FhirErrors.Outcome(OperationOutcome.IssueType.Structure, location is null ? message : $"{message} At {location}.", location);
}
