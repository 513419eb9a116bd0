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
    public void Failures_say_why_and_leave_the_document_untouched(string patch, string why)
    {
        var document = JsonNode.Parse(Document)!;

        Assert.False(JsonPatch.TryApply(document, patch, out var result, out var error));

        Assert.Null(result);
        Assert.Contains(why, error, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Document), document));
    }
}
