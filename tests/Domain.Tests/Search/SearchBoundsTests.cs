using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Tests.Search;

/// <summary>Search values beyond their types' ranges, and searches beyond their bounds, are 400s, never exceptions.</summary>
public sealed class SearchBoundsTests
{
    private static OperationOutcome? Refusal(string type, params (string Name, string Value)[] query) =>
        SearchParser.Parse(type, query.Select(q => new KeyValuePair<string, string>(q.Name, q.Value)), strict: false).Refusal;

    [Theory]
    [InlineData("value-quantity", "7.9e28")]
    [InlineData("value-quantity", "0e2147483648")]
    [InlineData("value-quantity", "1e-400")]
    [InlineData("value-quantity", "79228162514264337593543950335")]
    [InlineData("value-quantity", "ap7.5e28")]
    [InlineData("value-quantity", "1e29|http://unitsofmeasure.org|mg")]
    [InlineData("value-quantity", "1e1e1")]
    [InlineData("value-quantity", "0.00000000000000000000000000001")]
    [InlineData("date", "2024-01-01T00:00:00+99:99")]
    [InlineData("date", "2024-01-01T00:00:00+14:01")]
    [InlineData("date", "2024-01-01T00:00:00-15:00")]
    [InlineData("date", "2024-02-30")]
    [InlineData("date", "0000-01-01")]
    [InlineData("date", "9999-12-31T23:59:59-01:00")]
    public void Values_out_of_range_are_refused(string parameter, string value)
    {
        var refusal = Refusal("Observation", (parameter, value));
        Assert.NotNull(refusal);
        Assert.Equal(OperationOutcome.IssueType.Invalid, refusal.Issue[0].Code);
    }

    [Theory]
    [InlineData("value-quantity", "7e27")]
    [InlineData("value-quantity", "1e-20")]
    [InlineData("value-quantity", "ap100")]
    [InlineData("date", "2024-01-01T00:00:00+14:00")]
    [InlineData("date", "ap0001-01-01")]
    [InlineData("date", "ap9999-12-31")]
    public void Values_in_range_are_accepted(string parameter, string value) =>
        Assert.Null(Refusal("Observation", (parameter, value)));

    [Theory]
    [InlineData("7.9e28")]
    [InlineData("0e2147483648")]
    [InlineData("1e-400")]
    [InlineData("1e")]
    public void Numbers_out_of_range_do_not_parse(string text) => Assert.False(SearchValues.TryParseNumber(text, out _, out _, out _));

    [Fact]
    public void Approximate_dates_stay_within_the_calendar()
    {
        var now = new DateTimeOffset(2026, 12, 1, 17, 0, 0, TimeSpan.Zero);
        Assert.True(DateRange.TryParse("0001-01-01", out var earliest));
        Assert.Equal(DateRange.Min, SearchValues.Approximately(earliest, now).Low);
        Assert.True(DateRange.TryParse("9999", out var latest));
        Assert.Equal(DateRange.Max, SearchValues.Approximately(latest, now).High);
    }

    [Fact]
    public void Approximate_dates_are_near_the_given_now_not_the_wall_clock()
    {
        // 2016-01-01 is 10 years (3653 days) before 2026-01-01 and 1 year before 2017-01-01: 10% is 365.3 and 36.5 days.
        Assert.True(DateRange.TryParse("2016-01-01", out var day));
        var far = SearchValues.Approximately(day, new DateTimeOffset(2026, 1, 1, 23, 59, 0, TimeSpan.Zero));
        var near = SearchValues.Approximately(day, new DateTimeOffset(2017, 1, 1, 0, 0, 0, TimeSpan.FromHours(5)));
        Assert.Equal(new DateTimeOffset(2014, 12, 31, 16, 48, 0, TimeSpan.Zero), far.Low);
        Assert.Equal(day.Low - TimeSpan.FromDays(36.5), near.Low);
    }

    [Fact]
    public void Searches_are_bounded_in_parameters_values_and_chain_depth()
    {
        Assert.Null(Refusal("Patient", [.. Enumerable.Repeat(("name", "a"), SearchParser.MaxParameters)]));
        Assert.Equal(OperationOutcome.IssueType.TooCostly, Refusal("Patient", [.. Enumerable.Repeat(("name", "a"), SearchParser.MaxParameters + 1)])!.Issue[0].Code);
        Assert.Null(Refusal("Patient", ("name", string.Join(',', Enumerable.Repeat("a", SearchParser.MaxValues)))));
        Assert.Equal(OperationOutcome.IssueType.TooCostly, Refusal("Patient", ("name", string.Join(',', Enumerable.Repeat("a", SearchParser.MaxValues + 1))))!.Issue[0].Code);

        Assert.Null(Refusal("Observation", ("subject:Patient.organization.partof.partof.name", "x")));
        var tooDeep = Refusal("Observation", ("subject:Patient.organization.partof.partof.partof.name", "x"));
        Assert.Equal(OperationOutcome.IssueType.TooCostly, tooDeep!.Issue[0].Code);
        var hasTooDeep = Refusal("Patient", ("_has:Observation:subject:_has:Observation:subject:_has:Observation:subject:_has:Observation:subject:_has:Observation:subject:code", "x"));
        Assert.NotNull(hasTooDeep);
    }

    [Theory]
    [InlineData("_type", "patient")]
    [InlineData("_include", "observation:subject")]
    [InlineData("subject:patient", "Patient/1")]
    public void Type_names_in_searches_are_case_sensitive(string name, string value) =>
        Assert.NotNull(SearchParser.Parse(name == "_type" ? string.Empty : "Observation", [new(name, value)], strict: true).Refusal);
}
