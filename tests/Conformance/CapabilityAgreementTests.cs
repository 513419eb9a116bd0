using System.Text.Json;

namespace Enclave.Conformance.Tests;

/// <summary>The CapabilityStatement claims nothing the suite does not cover (issue 14): every claim names a covering test.</summary>
public sealed class CapabilityAgreementTests(ConformanceFixture suite) : ConformanceTest(suite)
{
    [Fact]
    public async System.Threading.Tasks.Task Every_claim_of_the_CapabilityStatement_is_covered_by_a_rule_test()
    {
        using var http = App.CreateClient();
        using var statement = JsonDocument.Parse(await http.GetStringAsync(new Uri($"{Base}/metadata", UriKind.Relative)));
        var covered = ConformanceFixture.Rules().SelectMany(r => r.Attribute.Covers).ToHashSet(StringComparer.Ordinal);

        var missing = Claims(statement.RootElement.GetProperty("rest")[0]).Where(c => !covered.Contains(c)).Order(StringComparer.Ordinal).ToList();

        Assert.True(missing.Count == 0, $"claimed but not covered by any [SpecRule(Covers = …)]: {string.Join(", ", missing)}");
    }

    /// <summary>What a CapabilityStatement's rest entry claims, in the vocabulary of <see cref="SpecRuleAttribute.Covers"/>.</summary>
    private static IEnumerable<string> Claims(JsonElement rest)
    {
        foreach (var interaction in rest.GetProperty("interaction").EnumerateArray())
        {
            yield return $"interaction:{interaction.GetProperty("code").GetString()}";
        }

        foreach (var parameter in rest.GetProperty("searchParam").EnumerateArray())
        {
            yield return $"common:{parameter.GetProperty("name").GetString()}";
        }

        foreach (var resource in rest.GetProperty("resource").EnumerateArray())
        {
            foreach (var interaction in resource.GetProperty("interaction").EnumerateArray())
            {
                yield return $"interaction:{interaction.GetProperty("code").GetString()}";
            }

            foreach (var parameter in resource.TryGetProperty("searchParam", out var ps) ? ps.EnumerateArray() : default)
            {
                yield return $"search-param-type:{parameter.GetProperty("type").GetString()}";
            }

            foreach (var operation in resource.TryGetProperty("operation", out var os) ? os.EnumerateArray() : default)
            {
                yield return $"operation:{operation.GetProperty("name").GetString()}";
            }

            foreach (var flag in new[] { "readHistory", "updateCreate", "conditionalCreate", "conditionalUpdate" })
            {
                if (resource.TryGetProperty(flag, out var value) && value.ValueKind == JsonValueKind.True)
                {
                    yield return flag;
                }
            }

            foreach (var coded in new[] { "versioning", "conditionalRead", "conditionalDelete" })
            {
                if (resource.TryGetProperty(coded, out var value))
                {
                    yield return $"{coded}:{value.GetString()}";
                }
            }

            if (resource.TryGetProperty("searchInclude", out var includes) && includes.GetArrayLength() > 0)
            {
                yield return "searchInclude";
            }

            if (resource.TryGetProperty("searchRevInclude", out var revIncludes) && revIncludes.GetArrayLength() > 0)
            {
                yield return "searchRevInclude";
            }
        }
    }
}
