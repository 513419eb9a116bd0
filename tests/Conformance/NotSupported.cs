namespace Enclave.Conformance.Tests;

/// <summary>The rules of the three pages that Enclave does not support, each with the reason; the report lists them.</summary>
public static class NotSupported
{
    public static IReadOnlyList<(string Section, Level Level, string Rule, string Reason)> Rules { get; } =
    [
        ("http.html#general", Level.Should, "Servers support the HTTP HEAD request on reads", "HEAD is not routed; GET carries the same headers"),
        ("http.html#mime-type", Level.Should, "Servers support RDF Turtle", "only JSON and XML are served; Turtle answers 406"),
        ("search.html#text", Level.Should, "_text and _content search narrative and the whole resource", "full-text search is not indexed (Cosmos DB has no full-text index on the emulator); the parameters are reported as ignored, or 400 with handling=strict"),
        ("search.html#query", Level.Should, "_query runs named queries", "no named queries are defined"),
        ("search.html#filter", Level.Should, "_filter expresses searches in the filter grammar", "the _filter grammar is not implemented"),
        ("search.html#list", Level.Should, "_list restricts a search to a List's items", "List-based search is not implemented"),
        ("search.html#contained", Level.Should, "_contained and _containedType search contained resources", "contained resources are not indexed on their own"),
        ("search.html#graph", Level.Should, "_graph includes via a GraphDefinition", "GraphDefinition-based includes are not implemented"),
        ("search.html#modifiers", Level.Should, ":above and :below on token parameters with code systems, :in and :not-in with value sets", "no terminology service; :below/:above work on uri parameters only"),
        ("http.html#history", Level.Should, "_list and _type on system history", "not implemented"),
    ];
}
