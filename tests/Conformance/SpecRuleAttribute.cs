namespace Enclave.Conformance.Tests;

/// <summary>How binding a rule of the specification is.</summary>
public enum Level
{
    Shall,
    Should,
}

/// <summary>
/// The rule of FHIR R4 a conformance test enforces: the page and section (<c>http.html#read</c>), SHALL or SHOULD,
/// the rule in a sentence, and the CapabilityStatement claims it covers (<c>interaction:read</c>,
/// <c>search-param-type:token</c>, <c>common:_id</c>, <c>operation:set-accounts</c>, …).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SpecRuleAttribute(string section, Level level, string rule) : Attribute
{
    public string Section { get; } = section;

    public Level Level { get; } = level;

    public string Rule { get; } = rule;

    public string[] Covers { get; init; } = [];
}
