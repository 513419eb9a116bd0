using System.Text;
using Enclave.Domain.Fhir;
using FsCheck.Fluent;

namespace Enclave.Domain.Tests.Fuzzing;

/// <summary>
/// The JSON and XML resource parser boundary: no input — random, FHIR-shaped, mutated, deep — makes it throw or
/// crash; it answers a resource or an OperationOutcome with at least one issue (issue 13 §8).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ResourceParserFuzzTests
{
    [Fact]
    public void Json_never_throws() =>
        FuzzConfig.Check(Prop.ForAll(FuzzInputs.ResourceJson().ToArbitrary(), json => ParsesOrExplains(() =>
            (ResourceParser.TryParse(json, out var resource, out var outcome), resource, outcome))));

    [Fact]
    public void Mutated_json_never_throws() =>
        FuzzConfig.Check(Prop.ForAll(FuzzInputs.Mutated(FuzzInputs.ValidPatientJson).ToArbitrary(), json => ParsesOrExplains(() =>
            (ResourceParser.TryParse(json, out var resource, out var outcome), resource, outcome))));

    [Fact]
    public void Xml_never_throws() =>
        FuzzConfig.Check(Prop.ForAll(FuzzInputs.ResourceXml().ToArbitrary(), xml => ParsesOrExplains(() =>
            (ResourceParser.TryParseXml(xml, out var resource, out var outcome), resource, outcome))));

    [Fact]
    public void Mutated_xml_never_throws() =>
        FuzzConfig.Check(Prop.ForAll(FuzzInputs.Mutated(FuzzInputs.ValidPatientXml).ToArbitrary(), xml => ParsesOrExplains(() =>
            (ResourceParser.TryParseXml(xml, out var resource, out var outcome), resource, outcome))));

    [Theory]
    [InlineData(10_000)]
    [InlineData(100_000)]
    public void Deep_nesting_is_refused_without_overflowing_the_stack(int depth)
    {
        var json = "{\"resourceType\":\"Patient\",\"active\":" + new StringBuilder().Insert(0, "[", depth) + new StringBuilder().Insert(0, "]", depth) + "}";
        var xml = "<Patient xmlns=\"http://hl7.org/fhir\">" + new StringBuilder().Insert(0, "<extension>", depth) + new StringBuilder().Insert(0, "</extension>", depth) + "</Patient>";

        Assert.False(ResourceParser.TryParse(json, out _, out var jsonOutcome));
        Assert.False(ResourceParser.TryParseXml(xml, out _, out var xmlOutcome));
        Assert.NotEmpty(jsonOutcome!.Issue);
        Assert.NotEmpty(xmlOutcome!.Issue);
    }

    private static bool ParsesOrExplains(Func<(bool Ok, Hl7.Fhir.Model.Resource? Resource, Hl7.Fhir.Model.OperationOutcome? Outcome)> parse)
    {
        var (ok, resource, outcome) = parse();
        return ok ? resource is not null && outcome is null : resource is null && outcome is { Issue.Count: > 0 };
    }
}
