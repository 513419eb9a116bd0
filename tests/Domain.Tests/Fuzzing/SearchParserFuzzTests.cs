using Enclave.Domain.Search;
using FsCheck.Fluent;

namespace Enclave.Domain.Tests.Fuzzing;

/// <summary>
/// The search-parameter parser: any query — real parameter names with modifiers, chains and prefixes, and values that
/// overflow numbers and dates — parses or is refused with an OperationOutcome; nothing throws (issue 13 §8).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class SearchParserFuzzTests
{
    private static readonly string[] s_types = ["Patient", "Observation", "Encounter", "Condition", ""];

    private static readonly string[] s_names =
    [
        "name", "family", "birthdate", "identifier", "gender", "_id", "_lastUpdated", "_count", "_sort", "_total", "_include", "_revinclude",
        "_type", "_has", "_summary", "_elements", "_compartment", "value-quantity", "value-string", "code", "date", "subject", "patient",
        "organization", "general-practitioner", "code-value-quantity", "component-code-value-quantity", "_text", "_content", "x-unknown", "",
    ];

    private static readonly string[] s_suffixes =
    [
        "", ":exact", ":contains", ":missing", ":not", ":text", ":in", ":below", ":above", ":of-type", ":Patient", ":iterate", ":identifier",
        ".name", ".family", ".organization.name", ":Patient.name", ".x", ":", "::", ".",
    ];

    private static readonly string[] s_values =
    [
        "", "x", "smith", "eq5", "gt7.9e28", "7.9e28", "0e2147483648", "1e-400", "-0", "lt-1e308", "ap1.5", "5||kg", "5|http://unitsofmeasure.org|kg",
        "2024-02-30", "2024-01-01T00:00:00+99:99", "ge2024", "le9999-12-31T23:59:59.9999999Z", "0000", "sa2024-13", "http://x|", "|", "||", "a|b|c",
        "Patient/1", "Patient/", "urn:uuid:x", "a,b,c", ",,,", "\\,", "\\", "$x", "%", "Observation:subject", "Observation:subject:Patient",
        "Patient:organization", "*", "Patient:general-practitioner:Practitioner", "name,-birthdate", "-", "true", "maybe", "accurate",
        "Observation:patient:code=x", "Observation:subject:_has:x", "' OR 1=1 --", "\u0000", "\ud800",
    ];

    [Fact]
    public void Any_query_parses_or_is_refused_with_an_outcome()
    {
        var parameter = from name in Gen.Elements(s_names)
                        from suffix in Gen.Elements(s_suffixes)
                        from value in Gen.OneOf(Gen.Elements(s_values), Gen.Elements(s_values).Two().Select(p => p.Item1 + "," + p.Item2))
                        select new KeyValuePair<string, string>(name + suffix, value);
        var query = from type in Gen.Elements(s_types)
                    from strict in Gen.Elements(true, false)
                    from count in Gen.Choose(0, 8)
                    from parameters in Gen.ListOf(parameter, count)
                    select (type, strict, parameters);

        FuzzConfig.Check(Prop.ForAll(query.ToArbitrary(), q =>
        {
            var (request, refusal) = SearchParser.Parse(q.type, q.parameters, q.strict);
            return (request is null) == (refusal is not null) && (refusal is null || refusal.Issue.Count > 0);
        }));
    }
}
