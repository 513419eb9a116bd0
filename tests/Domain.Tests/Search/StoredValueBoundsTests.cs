using Enclave.Domain.Search;

namespace Enclave.Domain.Tests.Search;

/// <summary>Numbers and dates in a body beyond their types' ranges are refused when parsed, so indexing never meets them.</summary>
public sealed class StoredValueBoundsTests
{
    [Theory]
    [InlineData("\"valueQuantity\":{\"value\":1e400}")]
    [InlineData("\"valueQuantity\":{\"value\":79228162514264337593543950336}")]
    [InlineData("\"valueQuantity\":{\"value\":-1e29}")]
    [InlineData("\"valueInteger\":99999999999")]
    [InlineData("\"valueInteger\":1.5")]
    [InlineData("\"valueDateTime\":\"2024-01-01T00:00:00+99:99\"")]
    [InlineData("\"valueDateTime\":\"2024-01-01T00:00:00+14:30\"")]
    [InlineData("\"valueDateTime\":\"10000-01-01\"")]
    [InlineData("\"valueDateTime\":\"2024-02-30\"")]
    [InlineData("\"valuePeriod\":{\"start\":\"0001-01-01T00:00:00+14:00\",\"end\":\"9999-12-31T23:59:59-14:00\"}")]
    [InlineData("\"effectiveTiming\":{\"event\":[\"9999-12-31T23:59:59-14:00\"]}")]
    public void Out_of_range_values_are_refused_by_the_parser(string value)
    {
        var json = $$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},{{value}}}""";
        Assert.False(Enclave.Domain.Fhir.ResourceParser.TryParse(json, out _, out var outcome));
        Assert.NotEmpty(outcome!.Issue);
    }

    [Theory]
    [InlineData("\"valueQuantity\":{\"value\":7.9e28}")]
    [InlineData("\"valueQuantity\":{\"value\":1e-400}")]
    [InlineData("\"valueQuantity\":{\"value\":79228162514264337593543950335}")]
    [InlineData("\"valueDateTime\":\"9999-12-31T23:59:59+14:00\"")]
    [InlineData("\"valueDateTime\":\"0001-01-01T00:00:00-14:00\"")]
    public void Values_at_the_edges_parse_and_index_without_an_exception(string value)
    {
        var json = $$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},{{value}}}""";
        Assert.True(Enclave.Domain.Fhir.ResourceParser.TryParse(json, out var resource, out _));
        Assert.NotNull(ResourceIndexer.Index(resource!));
    }
}
