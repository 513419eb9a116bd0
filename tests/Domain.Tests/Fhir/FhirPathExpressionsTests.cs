using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Fhir;

public sealed class FhirPathExpressionsTests
{
    [Theory]
    [InlineData("Patient.name.family")]
    [InlineData("Patient.identifier.where(system = 'urn:mrn').value")]
    [InlineData("%after.status = 'final' or (%before.status != 'final')")]
    public void FHIRPath_compiles(string expression)
    {
        Assert.True(FhirPathExpressions.TryCompile(expression, out var compiled, out var error), error);
        Assert.NotNull(compiled);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Patient.(", "not a FHIRPath expression")]
    [InlineData("Patient.name.nosuchfunction()", "cannot be compiled")]
    [InlineData("Patient.name[2147483648]", "beyond the integers")]
    public void What_is_not_FHIRPath_is_refused_with_a_reason(string expression, string why)
    {
        Assert.False(FhirPathExpressions.TryCompile(expression, out var compiled, out var error));
        Assert.Null(compiled);
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(33)]
    [InlineData(10_000)]
    [InlineData(1_000_000)]
    public void Deep_or_long_expressions_are_refused_before_the_parser_recurses(int depth)
    {
        var expression = new string('(', depth) + "1" + new string(')', depth);

        Assert.False(FhirPathExpressions.TryCompile(expression, out _, out var error));

        Assert.Matches("nests deeper|longer than", error!);
    }

    /// <summary>Regression (review): brackets in a string literal, or a stray closing one, lowered the count for the nesting after it.</summary>
    [Theory]
    [InlineData("'" + ")))))))))))))))))))))))))))))))))))))))))" + "' = ")]
    [InlineData(")))))))))))))))))))))))))))))))))))))))))) + ")]
    public void Brackets_in_strings_or_unopened_do_not_buy_deeper_nesting(string prefix)
    {
        var expression = prefix + new string('(', 40) + "1" + new string(')', 40);

        Assert.False(FhirPathExpressions.TryCompile(expression, out _, out var error));

        Assert.Matches("nests deeper|never opened", error!);
    }

    [Fact]
    public void Nesting_up_to_the_bound_compiles() =>
        Assert.True(FhirPathExpressions.TryCompile(new string('(', FhirPathExpressions.MaxNesting) + "1" + new string(')', FhirPathExpressions.MaxNesting), out _, out var error), error);
}
