using System.Net;
using System.Text.Json;
using Hl7.Fhir.Model;

namespace Enclave.Conformance.Tests;

/// <summary>R4 http.html transaction and batch rules, and bundle.html's rules on entries.</summary>
public sealed class BundleRuleTests(ConformanceFixture suite) : ConformanceTest(suite)
{
    private const string Uuid1 = "urn:uuid:0c9b8d4e-5a6f-4b7c-9d8e-1f2a3b4c5d61";
    private const string Uuid2 = "urn:uuid:0c9b8d4e-5a6f-4b7c-9d8e-1f2a3b4c5d62";

    /// <summary>The <c>Type/id</c> of the resource a response entry says it wrote (its location, relative or absolute, without the version).</summary>
    private static string Located(JsonElement answer, int entry)
    {
        var location = answer.GetProperty("entry")[entry].GetProperty("response").GetProperty("location").GetString()!;
        var parts = location.Split("/_history")[0].Split('/');
        return $"{parts[^2]}/{parts[^1]}";
    }

    [Fact]
    [SpecRule("http.html#transaction", Level.Shall, "a transaction succeeds or fails as a whole: one failing entry writes nothing", Covers = ["interaction:transaction"])]
    public System.Threading.Tasks.Task Transaction_is_atomic() => RuleAsync(async p =>
    {
        var (response, _) = await p.SendAsync(HttpMethod.Post, "", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"{{{Uuid1}}}","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/missing"}},"request":{"method":"POST","url":"Observation"}}]}
            """);
        var history = await p.JsonAsync(HttpMethod.Get, "_history");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(history.TryGetProperty("entry", out _), "nothing was written");
    });

    [Fact]
    [SpecRule("http.html#trules", Level.Shall, "a transaction answers a transaction-response with one entry per request, in order, each with status and location")]
    public System.Threading.Tasks.Task Transaction_response() => RuleAsync(async p =>
    {
        var existing = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var transaction = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new() { FullUrl = Uuid1, Resource = new Patient { Active = true }, Request = new() { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new() { Request = new() { Method = Bundle.HTTPVerb.GET, Url = $"Patient/{existing}" } },
                new() { Request = new() { Method = Bundle.HTTPVerb.DELETE, Url = $"Patient/{existing}" } },
            ],
        };

        var answer = await p.Client.TransactionAsync(transaction);

        Assert.Equal(Bundle.BundleType.TransactionResponse, answer!.Type);
        Assert.Equal(3, answer.Entry.Count);
        Assert.StartsWith("201", answer.Entry[0].Response!.Status, StringComparison.Ordinal);
        Assert.Contains("Patient/", answer.Entry[0].Response!.Location, StringComparison.Ordinal);
        Assert.StartsWith("2", answer.Entry[2].Response!.Status, StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("http.html#trules", Level.Shall, "a transaction processes DELETE, then POST, then PUT/PATCH, then GET/HEAD, whatever the entry order")]
    public System.Threading.Tasks.Task Processing_order() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","active":true}""");

        var answer = await p.JsonAsync(HttpMethod.Post, "", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"request":{"method":"GET","url":"Patient/{{{id}}}"}},
              {"resource":{"resourceType":"Patient","id":"{{{id}}}","active":false},"request":{"method":"PUT","url":"Patient/{{{id}}}"}}]}
            """);

        var read = answer.GetProperty("entry")[0].GetProperty("resource");
        Assert.False(read.GetProperty("active").GetBoolean(), "the GET ran after the PUT");
    });

    [Fact]
    [SpecRule("http.html#trules", Level.Shall, "urn:uuid fullUrls are replaced by the new ids in every reference of the bundle")]
    public System.Threading.Tasks.Task Uuid_references() => RuleAsync(async p =>
    {
        var answer = await p.JsonAsync(HttpMethod.Post, "", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"{{{Uuid2}}}","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"{{{Uuid1}}}"}},"request":{"method":"POST","url":"Observation"}},
              {"fullUrl":"{{{Uuid1}}}","resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}}]}
            """);
        var stored = await p.JsonAsync(HttpMethod.Get, Located(answer, 0));

        Assert.Equal(Located(answer, 1), stored.GetProperty("subject").GetProperty("reference").GetString());
    });

    [Fact]
    [SpecRule("http.html#trules", Level.Shall, "urn:uuid links are replaced in uri and url elements and in narrative links too")]
    public System.Threading.Tasks.Task Uuid_in_uris_and_narrative() => RuleAsync(async p =>
    {
        var answer = await p.JsonAsync(HttpMethod.Post, "", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"{{{Uuid1}}}","resource":{"resourceType":"Binary","contentType":"text/plain","data":"aGk="},"request":{"method":"POST","url":"Binary"}},
              {"resource":{"resourceType":"DocumentReference","status":"current",
                "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"{{{Uuid1}}}\">doc</a><img src='{{{Uuid1}}}'/></div>"},
                "extension":[{"url":"http://example.org/source","valueUri":"{{{Uuid1}}}"}],
                "content":[{"attachment":{"contentType":"text/plain","url":"{{{Uuid1}}}"}}]},"request":{"method":"POST","url":"DocumentReference"}}]}
            """);
        var stored = (await p.JsonAsync(HttpMethod.Get, Located(answer, 1))).GetRawText();

        Assert.DoesNotContain("urn:uuid", stored, StringComparison.Ordinal);
        Assert.Contains(Located(answer, 0), stored, StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("bundle.html#bundle-unique", Level.Shall, "fullUrls are unique within a bundle (bdl-7): a transaction with duplicates is refused")]
    public System.Threading.Tasks.Task Unique_full_urls() => RuleAsync(async p =>
    {
        var (response, text) = await p.SendAsync(HttpMethod.Post, "", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"{{{Uuid1}}}","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
              {"fullUrl":"{{{Uuid1}}}","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]}
            """);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
    });

    [Fact]
    [SpecRule("http.html#transaction", Level.Shall, "a batch processes each entry on its own: a failing entry fails alone", Covers = ["interaction:batch"])]
    public System.Threading.Tasks.Task Batch_entries_are_independent() => RuleAsync(async p =>
    {
        var answer = await p.JsonAsync(HttpMethod.Post, "", """
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"Patient","active":true},"request":{"method":"POST","url":"Patient"}},
              {"request":{"method":"GET","url":"Patient/nobody"}}]}
            """);

        Assert.Equal("batch-response", answer.GetProperty("type").GetString());
        Assert.StartsWith("201", answer.GetProperty("entry")[0].GetProperty("response").GetProperty("status").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("404", answer.GetProperty("entry")[1].GetProperty("response").GetProperty("status").GetString(), StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("http.html#transaction", Level.Shall, "ifMatch in an entry is honoured like If-Match: a stale version fails the transaction with 412")]
    public System.Threading.Tasks.Task Entry_if_match() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await p.JsonAsync(HttpMethod.Put, $"Patient/{id}", $$$"""{"resourceType":"Patient","id":"{{{id}}}","active":false}""");

        var (response, _) = await p.SendAsync(HttpMethod.Post, "", $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"resource":{"resourceType":"Patient","id":"{{{id}}}","gender":"other"},"request":{"method":"PUT","url":"Patient/{{{id}}}","ifMatch":"W/\"1\""}}]}
            """);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    });
}
