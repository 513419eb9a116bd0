using System.Text.Json.Nodes;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Fhir;

public sealed class JsonPatchTests
{
    private const string Document = """{"a":1,"list":[1,2,3],"nested":{"b":"x"}}""";

    [Theory]
    [InlineData("""[{"op":"add","path":"/c","value":2}]""", """{"a":1,"list":[1,2,3],"nested":{"b":"x"},"c":2}""")]
    [InlineData("""[{"op":"add","path":"/list/1","value":9}]""", """{"a":1,"list":[1,9,2,3],"nested":{"b":"x"}}""")]
    [InlineData("""[{"op":"add","path":"/list/-","value":4}]""", """{"a":1,"list":[1,2,3,4],"nested":{"b":"x"}}""")]
    [InlineData("""[{"op":"remove","path":"/list/0"}]""", """{"a":1,"list":[2,3],"nested":{"b":"x"}}""")]
    [InlineData("""[{"op":"replace","path":"/nested/b","value":"y"}]""", """{"a":1,"list":[1,2,3],"nested":{"b":"y"}}""")]
    [InlineData("""[{"op":"move","from":"/a","path":"/nested/a"}]""", """{"list":[1,2,3],"nested":{"b":"x","a":1}}""")]
    [InlineData("""[{"op":"copy","from":"/a","path":"/z"}]""", """{"a":1,"list":[1,2,3],"nested":{"b":"x"},"z":1}""")]
    [InlineData("""[{"op":"test","path":"/a","value":1},{"op":"replace","path":"/a","value":2}]""", """{"a":2,"list":[1,2,3],"nested":{"b":"x"}}""")]
    public void Operations_apply_as_rfc_6902_says(string patch, string expected)
    {
        Assert.True(JsonPatch.TryApply(JsonNode.Parse(Document)!, patch, out var result, out var error), error);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"op":"add"}""", "array")]
    [InlineData("""[{"op":"test","path":"/a","value":2}]""", "test failed")]
    [InlineData("""[{"op":"remove","path":"/missing"}]""", "does not exist")]
    [InlineData("""[{"op":"replace","path":"/missing/x","value":1}]""", "does not exist")]
    [InlineData("""[{"op":"jump","path":"/a"}]""", "unknown op")]
    [InlineData("""[{"op":"add","path":"/list/7","value":1}]""", "not a valid place")]
    [InlineData("""[{"op":5,"path":"/a"}]""", "as strings")]
    [InlineData("""[{"op":"remove","path":5}]""", "as strings")]
    [InlineData("""[{"op":"remove","path":"a"}]""", "not a JSON Pointer")]
    [InlineData("""[{"op":"add","path":"a","value":1}]""", "not a JSON Pointer")]
    [InlineData("""[{"op":"copy","from":"a","path":"/b"}]""", "JSON Pointer")]
    [InlineData("""[{"op":"remove","path":"/list/+1"}]""", "does not exist")]
    [InlineData("""[{"op":"remove","path":"/list/ 1"}]""", "does not exist")]
    [InlineData("""[5]""", "not an object")]
    [InlineData("""["add"]""", "not an object")]
    [InlineData("""5""", "array")]
    [InlineData("""{}""", "array")]
    [InlineData("""[{"op":"add","op":"remove","path":"/a"}]""", "appears twice")]
    [InlineData("""[{"op":"add","path":"/a","value":{"x":1,"x":2}}]""", "appears twice")]
    [InlineData("""[{"op":"add",""", "not valid JSON")]
    public void Failures_say_why_and_leave_the_document_untouched(string patch, string why)
    {
        var document = JsonNode.Parse(Document)!;

        Assert.False(JsonPatch.TryApply(document, patch, out var result, out var error));

        Assert.Null(result);
        Assert.Contains(why, error, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Document), document));
    }

    [Fact]
    public void No_operation_nests_the_document_deeper_than_the_limit()
    {
        var deep = new string('[', 60) + new string(']', 60);
        var once = $$"""[{"op":"add","path":"/deep","value":{{deep}}}]""";
        Assert.True(JsonPatch.TryApply(JsonNode.Parse(Document)!, once, out _, out var error), error);

        // Each operation alone is shallow; together they would nest 120 levels.
        var twice = $$"""[{"op":"add","path":"/deep","value":{{deep}}},{"op":"add","path":"/deep/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/-","value":{{deep}}}]""";
        Assert.False(JsonPatch.TryApply(JsonNode.Parse(Document)!, twice, out _, out var tooDeep));
        Assert.Contains("deeper than 64", tooDeep, StringComparison.Ordinal);

        var copies = $$"""[{"op":"add","path":"/deep","value":{{deep}}},{"op":"copy","from":"/deep","path":"/deep/0/0/0/0/0/0/0/0/0/0/-"}]""";
        Assert.False(JsonPatch.TryApply(JsonNode.Parse(Document)!, copies, out _, out var copied));
        Assert.Contains("deeper than 64", copied, StringComparison.Ordinal);
    }

    [Fact]
    public void A_patch_beyond_the_parser_limits_is_refused()
    {
        var many = "[" + string.Join(',', Enumerable.Repeat("""{"op":"test","path":"/a","value":1}""", 11_000)) + "]";
        Assert.False(JsonPatch.TryApply(JsonNode.Parse(Document)!, many, out _, out var error));
        Assert.Contains("more than 10000 items", error, StringComparison.Ordinal);
        Assert.False(JsonPatch.TryApply(JsonNode.Parse(Document)!, new string('[', 100_000), out _, out var deep));
        Assert.Contains("deeper than 64", deep, StringComparison.Ordinal);
    }

    /// <summary>Regression (review): each copy of a list into itself doubled the document; 60 of them would need 2^60 values.</summary>
    [Fact]
    public void Copies_that_double_the_document_stop_at_the_value_bound()
    {
        var patch = "[{\"op\":\"add\",\"path\":\"/a\",\"value\":[1]}," + string.Join(',', Enumerable.Repeat("{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/-\"}", 60)) + "]";

        Assert.False(JsonPatch.TryApply(JsonNode.Parse("{}")!, patch, out var result, out var error));

        Assert.Null(result);
        Assert.Contains($"more than {JsonPatch.MaxNodes} JSON values", error, StringComparison.Ordinal);
    }

    /// <summary>Found by the fuzzer: replacing the whole document with null or a value left no resource.</summary>
    [Theory]
    [InlineData("""[{"op":"add","path":"","value":null}]""")]
    [InlineData("""[{"op":"add","path":"","value":[1]}]""")]
    public void The_document_stays_an_object(string patch)
    {
        Assert.False(JsonPatch.TryApply(JsonNode.Parse(Document)!, patch, out _, out var error));

        Assert.Contains("must stay a JSON object", error, StringComparison.Ordinal);
    }
}
