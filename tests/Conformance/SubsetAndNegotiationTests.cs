using System.Net;
using System.Text.Json;

namespace Enclave.Conformance.Tests;

/// <summary>R4 subsets, self links and content negotiation (issue 14 items 3–5).</summary>
public sealed class SubsetAndNegotiationTests(ConformanceFixture suite) : ConformanceTest(suite)
{
    [Fact]
    [SpecRule("search.html#elements", Level.Shall, "_elements keeps id (a read SHALL carry it); SHOULD keep meta and mandatory elements and tag SUBSETTED, on read and search")]
    public System.Threading.Tasks.Task Elements() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Subset"}],"gender":"female"}""");
        await p.CreateAsync($$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{id}}"},"valueString":"x"}""");

        var patient = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}?_elements=name");
        var found = (await p.JsonAsync(HttpMethod.Get, "Observation?_elements=subject")).GetProperty("entry")[0].GetProperty("resource");

        Assert.Equal(id, patient.GetProperty("id").GetString());
        Assert.Equal("1", patient.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Contains(patient.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
        Assert.True(patient.TryGetProperty("name", out _));
        Assert.False(patient.TryGetProperty("gender", out _));
        Assert.True(found.TryGetProperty("id", out _));
        Assert.Equal("final", found.GetProperty("status").GetString());
        Assert.True(found.TryGetProperty("code", out _), "Observation.code is mandatory");
        Assert.False(found.TryGetProperty("valueString", out _));
        Assert.Contains(found.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
    });

    [Fact]
    [SpecRule("search.html#summary", Level.Should, "_summary=true returns the summary elements tagged SUBSETTED; _summary=count only the total")]
    public System.Threading.Tasks.Task Summary() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","name":[{"family":"S"}],"maritalStatus":{"text":"married"}}""");

        var summary = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}?_summary=true");
        var count = await p.JsonAsync(HttpMethod.Get, "Patient?_summary=count");

        Assert.False(summary.TryGetProperty("maritalStatus", out _));
        Assert.Contains(summary.GetProperty("meta").GetProperty("tag").EnumerateArray(), t => t.GetProperty("code").GetString() == "SUBSETTED");
        Assert.Equal(1, count.GetProperty("total").GetInt32());
        Assert.False(count.TryGetProperty("entry", out _));
    });

    [Fact]
    [SpecRule("search.html#errors", Level.Shall, "the self link holds the parameters the search used, not the ignored ones")]
    public System.Threading.Tasks.Task Self_link() => RuleAsync(async p =>
    {
        var bundle = await p.JsonAsync(HttpMethod.Get, "Patient?family=Subset&x-unknown=1");
        var self = bundle.GetProperty("link").EnumerateArray().Single(l => l.GetProperty("relation").GetString() == "self").GetProperty("url").GetString()!;

        Assert.Contains("family=Subset", self, StringComparison.Ordinal);
        Assert.DoesNotContain("x-unknown", self, StringComparison.Ordinal);
        Assert.Contains(bundle.GetProperty("entry").EnumerateArray(), e => e.GetProperty("search").GetProperty("mode").GetString() == "outcome");
    });

    [Theory]
    [InlineData("application/json", null, "application/json")]
    [InlineData("application/xml", null, "application/xml")]
    [InlineData("text/xml", null, "text/xml")]
    [InlineData("application/fhir+json", null, "application/fhir+json")]
    [InlineData("application/fhir+xml", null, "application/fhir+xml")]
    [InlineData(null, "application/json", "application/json")]
    [InlineData(null, "json", "application/fhir+json")]
    [InlineData(null, "xml", "application/fhir+xml")]
    [InlineData("*/*", null, "application/fhir+json")]
    [SpecRule("http.html#mime-type", Level.Should, "the answer uses the media type asked for by Accept or _format, generic types (application/json, application/xml) echoed")]
    public System.Threading.Tasks.Task Media_types(string? accept, string? format, string expected) => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient"}""");

        var (response, _) = await p.SendAsync(HttpMethod.Get, $"Patient/{id}" + (format is null ? "" : $"?_format={Uri.EscapeDataString(format)}"),
            headers: accept is null ? [] : [("Accept", accept)]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
    });

    [Fact]
    [SpecRule("http.html#mime-type", Level.Should, "an Accept the server cannot write is 406 with an OperationOutcome")]
    public System.Threading.Tasks.Task Not_acceptable() => RuleAsync(async p =>
    {
        var (response, text) = await p.SendAsync(HttpMethod.Get, "Patient", headers: ("Accept", "text/html"));

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
    });

    [Fact]
    [SpecRule("http.html#mime-type", Level.Shall, "XML is read and written: a resource created as XML reads back as XML and as JSON")]
    public System.Threading.Tasks.Task Xml() => RuleAsync(async p =>
    {
        var (created, text) = await p.SendAsync(HttpMethod.Post, "Patient", """<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>""", "application/fhir+xml",
            ("Accept", "application/fhir+xml"));
        var id = System.Xml.Linq.XDocument.Parse(text).Root!.Element(System.Xml.Linq.XName.Get("id", "http://hl7.org/fhir"))!.Attribute("value")!.Value;

        var json = await p.JsonAsync(HttpMethod.Get, $"Patient/{id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(json.GetProperty("active").GetBoolean());
    });
}
