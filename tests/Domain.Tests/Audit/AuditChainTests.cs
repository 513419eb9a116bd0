using System.Text;
using System.Text.Json.Nodes;
using Enclave.Domain.Audit;

namespace Enclave.Domain.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly AuditRecord s_record = new()
    {
        Function = "FhirRead",
        Interaction = AuditInteraction.Rest("read", "R"),
        Status = 200,
        Recorded = new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero),
        Agent = new AuditAgent("m1", "Practitioner/p1", "ClientApplication/c1", "10.0.0.1"),
        Entities = ["Patient/123/_history/2"],
        Rule = "AccessPolicy/clinic resource[0]",
        TraceId = "trace-1",
    };

    private static byte[] Json(AuditRecord record) => Encoding.UTF8.GetBytes(AuditEvents.Build(record, "project-1").Json);

    private static async IAsyncEnumerable<AuditLink> Chain(params byte[][] records)
    {
        var previous = AuditChain.Genesis;
        for (var i = 0; i < records.Length; i++)
        {
            var hash = AuditChain.Link(previous, i + 1, records[i]);
            yield return new AuditLink($"e{i + 1}", i + 1, previous, hash, records[i]);
            previous = hash;
            await Task.Yield();
        }
    }

    [Fact]
    public void The_hash_ignores_key_order_and_whitespace_but_not_content()
    {
        var json = Json(s_record);
        var reordered = JsonNode.Parse(json)!.AsObject();
        var outcome = reordered["outcomeDesc"]!.DeepClone();
        reordered.Remove("outcomeDesc");
        reordered.Insert(0, "outcomeDesc", outcome);

        var original = AuditChain.Link(AuditChain.Genesis, 1, json);
        Assert.Equal(original, AuditChain.Link(AuditChain.Genesis, 1, Encoding.UTF8.GetBytes(reordered.ToJsonString(new() { WriteIndented = true }))));
        Assert.NotEqual(original, AuditChain.Link(AuditChain.Genesis, 2, json));
        Assert.NotEqual(original, AuditChain.Link(new string('1', 64), 1, json));
        Assert.NotEqual(original, AuditChain.Link(AuditChain.Genesis, 1, Json(s_record with { Status = 403 })));
    }

    /// <summary>
    /// Trails sealed by earlier builds must still verify: the canonical form (escapes, numbers, non-ASCII keys, the
    /// entity references left out only at <c>entity[*].what</c>) hashes as it did when this hash was taken, with the
    /// JsonNode-based canonicalisation it replaced.
    /// </summary>
    [Fact]
    public void A_record_hashes_as_trails_sealed_before_hashed_it()
    {
        const string Record = """
            {"resourceType":"AuditEvent","id":"a1","meta":{"versionId":"1","lastUpdated":"2026-12-01T10:00:00.123+00:00"},"outcomeDesc":"403 Caf\u00e9 \"quoted\" <tag> & line\nbreak \ud83d\ude00 / slash","recorded":"2026-12-01T10:00:00.123Z","zeta":[1.50,1e3,-0,true,false,null,{"b":2,"a":1,"B":3,"_":4}],"entity":[{"what":{"reference":"Patient/123/_history/2","identifier":{"system":"urn:enclave:reference-sha256","value":"abc"}},"type":{"code":"2"}},{"what":{"identifier":{"value":"only"}},"reference":"kept: not inside what"}],"agent":[{"who":{"reference":"Practitioner/p1"},"requestor":true,"policy":["AccessPolicy/x resource[0]"]}],"Élan":"é","éa":"x","nested":{"entity":[{"what":{"reference":"kept: not the record's entity"}}]}}
            """;

        Assert.Equal("99c0cf9d2f3a8f649157577aaffc197e254b4a3d94a263da8d59db5d98b8a16b", AuditChain.Link(AuditChain.Genesis, 7, Encoding.UTF8.GetBytes(Record)));
    }

    [Fact]
    public void Erasing_a_reference_keeps_the_hash_and_its_hash_still_checks()
    {
        var json = JsonNode.Parse(Json(s_record))!.AsObject();
        var hash = AuditChain.Link(AuditChain.Genesis, 1, Encoding.UTF8.GetBytes(json.ToJsonString()));
        var what = json["entity"]![0]!["what"]!.AsObject();
        Assert.Equal(AuditQuery.Hash("Patient/123/_history/2"), what["identifier"]!["value"]!.GetValue<string>());

        what.Remove("reference");
        var erased = Encoding.UTF8.GetBytes(json.ToJsonString());
        Assert.Equal(hash, AuditChain.Link(AuditChain.Genesis, 1, erased));
        Assert.True(AuditChain.ReferencesMatchHashes(erased));

        what["reference"] = "Patient/999/_history/1";
        Assert.False(AuditChain.ReferencesMatchHashes(Encoding.UTF8.GetBytes(json.ToJsonString())));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("{\"reference\":\"Patient/123/_history/2\"}")]
    [InlineData("null")]
    public void A_reference_that_is_not_a_string_does_not_check(string reference)
    {
        var json = JsonNode.Parse(Json(s_record))!.AsObject();
        json["entity"]![0]!["what"]!["reference"] = JsonNode.Parse(reference);

        Assert.False(AuditChain.ReferencesMatchHashes(Encoding.UTF8.GetBytes(json.ToJsonString())));
    }

    [Fact]
    public void A_second_reference_beside_the_hashed_one_does_not_check()
    {
        var json = Encoding.UTF8.GetString(Json(s_record));
        var twice = json.Replace("\"reference\":\"Patient/123/_history/2\"", "\"reference\":\"Patient/123/_history/2\",\"reference\":\"Patient/999\"", StringComparison.Ordinal);
        Assert.NotEqual(json, twice);

        Assert.False(AuditChain.ReferencesMatchHashes(Encoding.UTF8.GetBytes(twice)));
    }

    [Fact]
    public async Task An_intact_chain_verifies_to_its_head()
    {
        var records = Enumerable.Range(0, 5).Select(i => Json(s_record with { TraceId = $"t{i}" })).ToArray();
        var links = new List<AuditLink>();
        await foreach (var link in Chain(records))
        {
            links.Add(link);
        }

        var verification = await AuditChain.VerifyAsync(Chain(records), new AuditHead(5, links[^1].Hash), toEnd: true, default);

        Assert.True(verification.Intact, verification.Problem);
        Assert.Equal(5, verification.Checked);
        Assert.Equal(5, verification.LastGood);
    }

    [Fact]
    public async Task A_changed_a_missing_and_a_truncated_record_are_each_named()
    {
        var records = Enumerable.Range(0, 5).Select(i => Json(s_record with { TraceId = $"t{i}" })).ToArray();
        var links = new List<AuditLink>();
        await foreach (var link in Chain(records))
        {
            links.Add(link);
        }

        var head = new AuditHead(5, links[^1].Hash);
        var changed = links.Select(l => l.Sequence == 3 ? l with { ResourceJson = Json(s_record with { TraceId = "t2", Status = 500 }) } : l);
        var missing = links.Where(l => l.Sequence != 3);
        var truncated = links.Take(4);

        var c = await AuditChain.VerifyAsync(changed.ToAsyncEnumerable(), head, toEnd: true, default);
        var m = await AuditChain.VerifyAsync(missing.ToAsyncEnumerable(), head, toEnd: true, default);
        var t = await AuditChain.VerifyAsync(truncated.ToAsyncEnumerable(), head, toEnd: true, default);
        var partial = await AuditChain.VerifyAsync(truncated.ToAsyncEnumerable(), head, toEnd: false, default);

        Assert.False(c.Intact);
        Assert.Equal("e3", c.Broken!.Id);
        Assert.Contains("does not match its hash", c.Problem, StringComparison.Ordinal);
        Assert.False(m.Intact);
        Assert.Equal("e4", m.Broken!.Id);
        Assert.Contains("record 3 is missing", m.Problem, StringComparison.Ordinal);
        Assert.False(t.Intact);
        Assert.Contains("later records are missing", t.Problem, StringComparison.Ordinal);
        Assert.True(partial.Intact);
    }

    [Fact]
    public async Task A_record_that_is_not_JSON_breaks_the_chain_rather_than_the_verifier()
    {
        var records = new[] { Json(s_record) };
        var links = new List<AuditLink>();
        await foreach (var link in Chain(records))
        {
            links.Add(link with { ResourceJson = "[1,2"u8.ToArray() });
        }

        var verification = await AuditChain.VerifyAsync(links.ToAsyncEnumerable(), null, toEnd: true, default);

        Assert.False(verification.Intact);
        Assert.Equal("e1", verification.Broken!.Id);
    }
}
