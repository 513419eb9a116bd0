using System.Text;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Fhir;

/// <summary>
/// Hostile bodies are refused by the parser with an outcome, never an exception or a crash: deep nesting (at the
/// limit, one past it, and far past it), long arrays and strings, duplicate keys, non-object roots, type names in
/// the wrong case, DTDs.
/// </summary>
public sealed class ParserLimitsTests
{
    /// <summary>A Patient whose extensions nest <paramref name="levels"/> deep, as JSON (each level adds an array and an object).</summary>
    private static string NestedJson(int levels)
    {
        var text = new StringBuilder("""{"resourceType":"Patient","extension":[""");
        for (var i = 1; i < levels; i++)
        {
            text.Append("""{"url":"http://example.org/x","extension":[""");
        }

        text.Append("""{"url":"http://example.org/x","valueString":"deep"}""");
        for (var i = 1; i < levels; i++)
        {
            text.Append("]}");
        }

        return text.Append("]}").ToString();
    }

    /// <summary>The same nesting as XML: one element per level.</summary>
    private static string NestedXml(int levels)
    {
        var text = new StringBuilder("""<Patient xmlns="http://hl7.org/fhir">""");
        for (var i = 0; i < levels; i++)
        {
            text.Append("""<extension url="http://example.org/x">""");
        }

        text.Append("""<valueString value="deep"/>""");
        for (var i = 0; i < levels; i++)
        {
            text.Append("</extension>");
        }

        return text.Append("</Patient>").ToString();
    }

    /// <summary>Plain arrays nested exactly <paramref name="depth"/> levels, inside a Patient's extension value.</summary>
    private static string Arrays(int depth) => new string('[', depth) + new string(']', depth);

    [Theory]
    [InlineData(31, true)] // JSON depth 63
    [InlineData(32, false)] // JSON depth 65
    [InlineData(10_000, false)]
    [InlineData(100_000, false)]
    public void Json_nesting_beyond_the_limit_is_refused_without_a_crash(int levels, bool accepted)
    {
        var ok = ResourceParser.TryParse(NestedJson(levels), out var resource, out var outcome);
        Assert.Equal(accepted, ok);
        if (accepted)
        {
            Assert.IsType<Patient>(resource);
        }
        else
        {
            Assert.Contains("deeper than 64", outcome!.Issue[0].Diagnostics, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(100_000, false)]
    public void The_scan_counts_json_depth_exactly(int depth, bool accepted) =>
        Assert.Equal(accepted, BodyScanner.Json(Arrays(depth), ParserLimits.Default, resource: false) is null);

    [Theory]
    [InlineData(30, true)] // XML depth 31, JSON depth 61
    [InlineData(40, false)] // within XML's 64 levels, but 81 deep as JSON
    [InlineData(64, false)] // XML depth 65
    [InlineData(2_000, false)]
    [InlineData(10_000, false)]
    [InlineData(100_000, false)]
    public void Xml_nesting_beyond_the_limit_is_refused_without_a_crash(int levels, bool accepted)
    {
        var ok = ResourceParser.TryParseXml(NestedXml(levels), out var resource, out var outcome);
        Assert.Equal(accepted, ok);
        if (accepted)
        {
            Assert.IsType<Patient>(resource);
        }
        else
        {
            Assert.Contains("deeper than 64", outcome!.Issue[0].Diagnostics, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void The_scan_counts_xml_depth_exactly(int depth, bool accepted)
    {
        var xml = string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth));
        Assert.Equal(accepted, BodyScanner.Xml(xml, ParserLimits.Default) is null);
    }

    public static TheoryData<string, string> RefusedJson => new()
    {
        { "[]", "a JSON object is expected" },
        { "5", "a JSON object is expected" },
        { "\"x\"", "a JSON object is expected" },
        { "null", "a JSON object is expected" },
        { """{"resourceType":"patient"}""", "case-sensitive" },
        { """{"resourceType":"PATIENT","id":"a"}""", "case-sensitive" },
        { """{"resourceType":"Patient","contained":[{"resourceType":"observation"}]}""", "case-sensitive" },
        { """{"resourceType":"Patient","gender":"male","gender":"female"}""", "'gender' appears twice" },
        { """{"resourceType":"Patient","meta":{"account":{"reference":"Organization/a"},"account":{"reference":"Organization/b"}}}""", "'account' appears twice" },
        { """{"resourceType":"Patient","resourceType":"Patient"}""", "appears twice" },
        { """{"resourceType":"Patient","name":[{"family":"a"}""", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(RefusedJson))]
    public void Bodies_that_are_not_one_resource_are_refused_with_an_outcome(string json, string diagnostics)
    {
        Assert.False(ResourceParser.TryParse(json, out _, out var outcome));
        Assert.Contains(diagnostics, outcome!.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.Equal(OperationOutcome.IssueType.Structure, outcome.Issue[0].Code);
    }

    [Fact]
    public void Duplicate_keys_are_refused_where_they_are()
    {
        Assert.False(ResourceParser.TryParse("""{"resourceType":"Patient","name":[{"family":"a","family":"b"}]}""", out _, out var outcome));
        Assert.Equal("$.name[0].family", outcome!.Issue[0].Expression.Single());
    }

    [Fact]
    public void Arrays_and_strings_beyond_the_limits_are_refused()
    {
        var limits = new ParserLimits(MaxArrayLength: 3, MaxStringLength: 30);
        var longest = new string('a', 30);
        Assert.True(ResourceParser.TryParse($$"""{"resourceType":"Patient","name":[{},{},{"family":"{{longest}}"}]}""".Replace("{}", """{"family":"a"}""", StringComparison.Ordinal), limits, out _, out _));
        Assert.False(ResourceParser.TryParse("""{"resourceType":"Patient","name":[{"family":"a"},{"family":"a"},{"family":"a"},{"family":"a"}]}""", limits, out _, out var array));
        Assert.Contains("more than 3 items", array!.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.False(ResourceParser.TryParse($$"""{"resourceType":"Patient","name":[{"family":"{{longest}}b"}]}""", limits, out _, out var text));
        Assert.Contains("longer than 30", text!.Issue[0].Diagnostics, StringComparison.Ordinal);
        Assert.False(ResourceParser.TryParseXml($"""<Patient xmlns="http://hl7.org/fhir"><name><family value="{longest}b"/></name></Patient>""", limits, out _, out var attribute));
        Assert.Contains("longer than 30", attribute!.Issue[0].Diagnostics, StringComparison.Ordinal);
        var manyNames = string.Concat(Enumerable.Repeat("""<name><family value="a"/></name>""", 4));
        Assert.False(ResourceParser.TryParseXml($"""<Patient xmlns="http://hl7.org/fhir">{manyNames}</Patient>""", limits, out _, out var children));
        Assert.Contains("more than 3 child elements", children!.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Xml_with_a_dtd_is_refused_so_no_entity_expands()
    {
        const string Bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE Patient [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <Patient xmlns="http://hl7.org/fhir"><name><family value="&b;"/></name></Patient>
            """;
        Assert.False(ResourceParser.TryParseXml(Bomb, out _, out var outcome));
        Assert.Contains("not valid XML", outcome!.Issue[0].Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""<patient xmlns="http://hl7.org/fhir"/>""")]
    [InlineData("""<Patient/>""")]
    [InlineData("""not xml""")]
    [InlineData("")]
    public void Xml_that_is_not_a_resource_is_refused(string xml) =>
        Assert.False(ResourceParser.TryParseXml(xml, out _, out _));
}
