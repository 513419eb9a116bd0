using System.Collections.Frozen;
using System.Xml;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The FHIR R4 rules for narrative XHTML (narrative.html#xhtml), as an allow-list: well-formed XML whose root is a
/// <c>div</c> in the XHTML namespace; only the basic formatting elements; only their plain attributes, none in
/// another namespace, no event attributes (<c>on*</c>), no <c>javascript:</c> URLs; and some non-whitespace content.
/// </summary>
public static class NarrativeXhtml
{
    /// <summary>The XHTML namespace every element of a narrative is in.</summary>
    public const string Namespace = "http://www.w3.org/1999/xhtml";

    private static readonly FrozenSet<string> s_elements = new[]
    {
        "a", "abbr", "acronym", "address", "b", "bdo", "big", "blockquote", "br", "caption", "cite", "code", "col",
        "colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "map", "area", "ol", "p", "pre", "q", "samp", "small", "span", "strong", "sub", "sup",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_attributes = new[]
    {
        // Common to all elements.
        "id", "class", "style", "title", "lang", "dir", "accesskey", "tabindex",

        // Links, images and image maps.
        "href", "name", "rel", "rev", "type", "hreflang", "charset", "shape", "coords", "src", "alt", "longdesc",
        "height", "width", "usemap", "ismap", "border", "hspace", "vspace", "nohref",

        // Tables, lists, quotations and edits.
        "summary", "frame", "rules", "cellspacing", "cellpadding", "abbr", "axis", "headers", "scope", "rowspan",
        "colspan", "align", "valign", "char", "charoff", "span", "start", "value", "compact", "cite", "datetime",
        "clear", "nowrap", "bgcolor", "space",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static XmlReaderSettings Settings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        ConformanceLevel = ConformanceLevel.Document,
    };

    /// <summary>What is wrong with <paramref name="div"/>, or null when it is valid narrative XHTML.</summary>
    public static string? Problem(string div)
    {
        ArgumentNullException.ThrowIfNull(div);
        var content = false;
        try
        {
            using var reader = XmlReader.Create(new StringReader(div), Settings());
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (reader.Depth == 0 && (reader.LocalName != "div" || reader.NamespaceURI != Namespace))
                        {
                            return $"the root must be <div xmlns=\"{Namespace}\">.";
                        }

                        if (reader.NamespaceURI != Namespace || !s_elements.Contains(reader.LocalName))
                        {
                            return $"<{reader.Name}> is not allowed in a narrative.";
                        }

                        content |= reader.LocalName == "img";
                        if (AttributeProblem(reader) is { } problem)
                        {
                            return problem;
                        }

                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA:
                        content |= !string.IsNullOrWhiteSpace(reader.Value);
                        break;
                    case XmlNodeType.ProcessingInstruction:
                        return "processing instructions are not allowed in a narrative.";
                }
            }
        }
        catch (XmlException ex)
        {
            return $"it is not well-formed XML (line {ex.LineNumber}, position {ex.LinePosition}).";
        }

        return content ? null : "a narrative must have some non-whitespace content.";
    }

    private static string? AttributeProblem(XmlReader reader)
    {
        var element = reader.Name;
        for (var more = reader.MoveToFirstAttribute(); more; more = reader.MoveToNextAttribute())
        {
            var ns = reader.NamespaceURI;
            var name = reader.LocalName;
            var allowed = ns.Length == 0 ? s_attributes.Contains(name)
                : ns == "http://www.w3.org/2000/xmlns/" ? reader.Value == Namespace
                : ns == "http://www.w3.org/XML/1998/namespace" && name is "lang" or "space";
            if (!allowed)
            {
                return $"the attribute {reader.Name} of <{element}> is not allowed in a narrative.";
            }

            var value = reader.Value.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\t", string.Empty, StringComparison.Ordinal)
                .Replace("\n", string.Empty, StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal);
            if (value.Contains("javascript:", StringComparison.OrdinalIgnoreCase) || value.Contains("vbscript:", StringComparison.OrdinalIgnoreCase)
                || value.Contains("expression(", StringComparison.OrdinalIgnoreCase))
            {
                return $"the attribute {reader.Name} of <{element}> holds script.";
            }
        }

        reader.MoveToElement();
        return null;
    }
}
