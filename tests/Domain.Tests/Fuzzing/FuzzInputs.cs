using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Enclave.Domain.Tests.Fuzzing;

/// <summary>
/// Generators of hostile input shaped like what a FHIR client sends: JSON and XML built from FHIR's element names
/// and from values that broke servers before (extreme numbers, impossible dates, script in narrative, invalid
/// Unicode, DTDs, duplicate keys), and random mutations of valid documents.
/// </summary>
internal static class FuzzInputs
{
    public const string ValidPatientJson = """
        {"resourceType":"Patient","id":"p1","meta":{"versionId":"1"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann</div>"},
        "identifier":[{"system":"urn:mrn","value":"123"}],"name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1970-01-01",
        "extension":[{"url":"http://example.org/x","valueQuantity":{"value":7.5,"unit":"kg"}}],"managingOrganization":{"reference":"Organization/o1"}}
        """;

    public const string ValidPatientXml = """
        <Patient xmlns="http://hl7.org/fhir"><id value="p1"/><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">Ann</div></text>
        <identifier><system value="urn:mrn"/><value value="123"/></identifier><name><family value="Smith"/><given value="Ann"/></name>
        <birthDate value="1970-01-01"/><extension url="http://example.org/x"><valueQuantity><value value="7.5"/></valueQuantity></extension></Patient>
        """;

    private static readonly string[] s_types = ["Patient", "Observation", "Bundle", "Parameters", "OperationOutcome", "patient", "PATIENT", "", "Nope", "Binary", "AccessPolicy"];

    private static readonly string[] s_keys =
    [
        "resourceType", "id", "meta", "versionId", "lastUpdated", "account", "accounts", "extension", "modifierExtension", "url",
        "valueString", "valueInteger", "valueDecimal", "valueQuantity", "valueUri", "value", "unit", "name", "family", "given", "text",
        "div", "status", "contained", "birthDate", "_birthDate", "active", "identifier", "system", "reference", "subject", "telecom",
        "entry", "resource", "request", "method", "fullUrl", "parameter", "part", "gender", "deceasedBoolean", "deceasedDateTime",
        "code", "coding", "display", "effectiveDateTime", "issued", "type", "fhir_comments", "", "@context", "__proto__",
    ];

    private static readonly string[] s_strings =
    [
        "", "x", "Smith", "Patient/1", "Patient/a b", "Patient/../../x", "urn:uuid:6f1a4b4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "%C0%AF", "a\\b",
        "2024-02-30", "2024-01-01T00:00:00+99:99", "9999-12-31T23:59:59Z", "0001-01-01", "7.9e28", "0e2147483648", "\u0000", "\ud800", "\uffff",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>alert(1)</script></div>", "<div xmlns=\"http://www.w3.org/1999/xhtml\" onclick=\"x()\">a</div>",
        "<div>unclosed", "generated", "male", "final", "http://hl7.org/fhir/StructureDefinition/x", "' OR 1=1 --", "${jndi:ldap://x}",
    ];

    private static readonly string[] s_numbers = ["0", "-1", "1.5", "1e308", "-1e308", "7.9e28", "1e-400", "123456789012345678901234567890", "2147483648", "0.0000000000000000000000000001"];

    /// <summary>A JSON text whose top level is usually a resource-like object, sometimes anything at all.</summary>
    public static Gen<string> ResourceJson() =>
        Gen.Frequency(
            (8, Gen.Sized(size => ResourceObject(Math.Min(size / 10 + 1, 6)))),
            (1, Gen.Sized(size => Value(Math.Min(size / 10 + 1, 6)))),
            (1, Gen.Elements("[]", "{}", "5", "\"Patient\"", "null", "", " ", "{\"resourceType\":\"Patient\",\"resourceType\":\"Patient\"}", "{\"resourceType\":\"Patient\"")));

    /// <summary>An XML text shaped like a FHIR resource, with DTDs, entities, CDATA and odd namespaces mixed in.</summary>
    public static Gen<string> ResourceXml() =>
        from prolog in Gen.Elements("", "<?xml version=\"1.0\"?>", "<!DOCTYPE Patient [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>",
            "<!DOCTYPE Patient SYSTEM \"file:///etc/passwd\">", "<?xml version=\"1.1\" encoding=\"utf-16\"?>")
        from type in Gen.Elements(s_types)
        from ns in Gen.Elements("http://hl7.org/fhir", "", "http://example.org")
        from body in Gen.Sized(size => Element(Math.Min(size / 10 + 1, 6)))
        select $"{prolog}<{Safe(type)} xmlns=\"{ns}\">{body}</{Safe(type)}>";

    /// <summary>Up to five random edits of <paramref name="seed"/>: characters inserted, deleted, duplicated or replaced.</summary>
    public static Gen<string> Mutated(string seed) =>
        from count in Gen.Choose(1, 5)
        from edits in Gen.ListOf(Edit(), count)
        select edits.Aggregate(seed, (text, edit) => edit(text));

    private static Gen<Func<string, string>> Edit() =>
        from position in Gen.Choose(0, 10_000)
        from length in Gen.Choose(1, 40)
        from insert in Gen.Elements(s_strings.Concat(["{", "}", "[", "]", ",", ":", "\"", "<", ">", "/>", "&", "&amp;", "]]>", "\\u0000", "\\"]).ToArray())
        from kind in Gen.Choose(0, 3)
        select (Func<string, string>)(text =>
        {
            var at = text.Length == 0 ? 0 : position % text.Length;
            var span = Math.Min(length, text.Length - at);
            return kind switch
            {
                0 => text.Insert(at, insert),
                1 => text.Remove(at, span),
                2 => text.Insert(at, text.Substring(at, span)),
                _ => text.Remove(at, span).Insert(at, insert),
            };
        });

    private static Gen<string> ResourceObject(int depth) =>
        from type in Gen.Elements(s_types)
        from count in Gen.Choose(0, 6)
        from members in Gen.ListOf(Member(depth), count)
        select "{\"resourceType\":" + Quote(type) + string.Concat(members.Select(m => "," + m)) + "}";

    private static Gen<string> Member(int depth) =>
        from key in Gen.Elements(s_keys)
        from value in Value(depth - 1)
        select Quote(key) + ":" + value;

    private static Gen<string> Value(int depth)
    {
        var leaf = Gen.OneOf(
            Gen.Elements(s_strings).Select(Quote),
            Gen.Elements(s_numbers),
            Gen.Elements("true", "false", "null"),
            Gen.Choose(0, 3).Select(n => Quote(new string('a', n * 4096))));
        if (depth <= 0)
        {
            return leaf;
        }

        return Gen.Frequency(
            (4, leaf),
            (2, Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(Member(depth - 1), n)).Select(ms => "{" + string.Join(',', ms) + "}")),
            (2, Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(Value(depth - 1), n)).Select(vs => "[" + string.Join(',', vs) + "]")),
            (1, ResourceObject(depth - 1)));
    }

    private static Gen<string> Element(int depth)
    {
        var attribute = Gen.Elements(s_strings).Select(v => $" value=\"{XmlText(v)}\"");
        var leaf = from name in Gen.Elements(s_keys)
                   from value in attribute
                   select $"<{Safe(name)}{value}/>";
        var special = Gen.Elements("<![CDATA[x]]>", "<!-- c -->", "<?pi x?>", "&a;", "&b;", "&#0;", "&#xD800;", "text", "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>");
        if (depth <= 0)
        {
            return Gen.OneOf(leaf, special);
        }

        var nested = from name in Gen.Elements(s_keys)
                     from n in Gen.Choose(0, 4)
                     from children in Gen.ListOf(Element(depth - 1), n)
                     select $"<{Safe(name)}>{string.Concat(children)}</{Safe(name)}>";
        return Gen.Frequency((3, leaf), (1, special), (3, nested));
    }

    private static string Quote(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                < ' ' => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ when char.IsSurrogate(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    private static string XmlText(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);

    private static string Safe(string name) => name.Length == 0 || !char.IsLetter(name[0]) ? "x" + name.Replace("@", "", StringComparison.Ordinal) : name;
}
