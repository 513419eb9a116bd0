using System.Text;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Fhir;

public sealed class JsonEscapesTests
{
    [Theory]
    [InlineData("""{"name":"x\ud800y"}""", false)]
    [InlineData("""{"\udc00":1}""", false)]
    [InlineData("""[{"a":["\ud83d"]}]""", false)]
    [InlineData("""{"name":"\ud83d\ude00 \u00e9 \n"}""", true)]
    [InlineData("""{"name":"plain","n":1}""", true)]
    [InlineData("""{"name":""", true)]
    [InlineData("""{"a":"\\ud800"}""", true)]
    [InlineData("""{"a":"\\\ud800"}""", false)]
    [InlineData("""{"a":"\ud800\u0041"}""", false)]
    [InlineData("""{"a":"\ude00\ud83d"}""", false)]
    [InlineData("""{"\ud83d\ude00":"key"}""", true)]
    public void Refuses_only_escapes_that_are_no_UTF16_text(string json, bool text)
    {
        Assert.Equal(text, JsonEscapes.AreText(Encoding.UTF8.GetBytes(json)));
    }
}
