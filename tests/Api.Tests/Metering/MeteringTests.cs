using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Api.Tests.Access;
using Enclave.Api.Tests.Audit;
using Enclave.Functions.Invocation;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Metering;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Metering;

/// <summary>Usage is written only when a test flushes it, so what a test reads is exactly what it caused.</summary>
public sealed class MeteringFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings)
    {
        settings["Metering:FlushInterval"] = "00:10:00";
        settings["Metering:BundleEntries"] = "6"; // configured for every project: a project may lower it, not raise it
    }
}

/// <summary>
/// Every answer carries what its store calls cost, equal to the SDK's own charges; a project's usage is the sum of its
/// answers' figures; quotas refuse with 429 naming the limit, never a 5xx, and only the project over its quota.
/// </summary>
public sealed class MeteringTests(MeteringFixture app) : IClassFixture<MeteringFixture>
{
    private UsageLedger Usage => app.Services.GetRequiredService<UsageLedger>();

    private static (double Charge, long Calls) Cost(HttpResponseMessage response) =>
        (double.Parse(response.Headers.GetValues(InvocationPipeline.RequestChargeHeader).Single(), CultureInfo.InvariantCulture),
         long.Parse(response.Headers.GetValues(InvocationPipeline.StoreCallsHeader).Single(), CultureInfo.InvariantCulture));

    private static async Task SetAsync(PolicyProject project, params (string Name, decimal Value)[] settings)
    {
        var (_, stored) = await project.CallAsync(HttpMethod.Get, $"Project/{project.ProjectId}", project.AdminToken);
        var changed = JsonNode.Parse(stored.GetRawText())!.AsObject();
        changed["setting"] = new JsonArray([.. settings.Select(s => (JsonNode?)new JsonObject { ["name"] = s.Name, ["valueDecimal"] = s.Value })]);
        using var put = await project.SendAsync(HttpMethod.Put, $"Project/{project.ProjectId}", project.AdminToken, changed.ToJsonString());
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> UsageAsync(PolicyProject project)
    {
        await Task.Delay(300); // usage is counted once each answer has been sent
        await Usage.FlushAsync(default);
        var (status, usage) = await project.CallAsync(HttpMethod.Get, $"Project/{project.ProjectId}/$usage", project.AdminToken);
        Assert.Equal(HttpStatusCode.OK, status);
        return usage;
    }

    [Fact]
    public async Task An_answers_request_charge_is_what_the_sdk_reported_for_its_calls()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Charges");
        var metrics = app.Services.GetRequiredService<CosmosRequestMetrics>();
        var matched = false;
        for (var attempt = 0; attempt < 5 && !matched; attempt++)
        {
            // Process-wide totals also count background work (the audit sealer): an attempt that overlaps some is tried again.
            var (charge, calls) = (metrics.RequestCharge, metrics.Requests);
            using var read = await project.SendAsync(HttpMethod.Get, "Patient/none", project.AdminToken);
            var (header, headerCalls) = Cost(read);
            Assert.True(headerCalls >= 2, $"{headerCalls} calls"); // the read and its audit record at least
            matched = Math.Abs(metrics.RequestCharge - charge - header) < 0.001 && metrics.Requests - calls == headerCalls;
        }

        Assert.True(matched, "No answer's headers matched the SDK's charges.");

        // A member restricted by a policy is not told what its requests cost (that could betray a hidden resource).
        await project.PutPolicyAsync("patients", """[{"resourceType":"Patient"}]""");
        var member = await project.MemberAsync("Restricted", "[" + PolicyProject.Access("patients") + "]");
        using var theirs = await project.SendAsync(HttpMethod.Get, "Patient/none", member);
        Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
        Assert.False(theirs.Headers.Contains(InvocationPipeline.RequestChargeHeader));
        Assert.False(theirs.Headers.Contains(InvocationPipeline.StoreCallsHeader));
    }

    [Fact]
    public async Task A_projects_usage_is_the_sum_of_its_answers_and_counts_its_stored_resources()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Usage sums");
        var other = await PolicyProject.CreateAsync(app, app.CreateClient(), "Usage bystander");
        var costs = new List<(double Charge, long Calls)>();
        async Task<string> SendAsync(HttpMethod method, string path, string? body = null)
        {
            using var response = await project.SendAsync(method, path, project.AdminToken, body);
            costs.Add(Cost(response));
            return await response.Content.ReadAsStringAsync();
        }

        await Task.Delay(300);
        await Usage.FlushAsync(default);
        var before = JsonDocument.Parse(await SendAsync(HttpMethod.Get, $"Project/{project.ProjectId}/$usage")).RootElement.GetProperty("total").Clone();
        var first = JsonNode.Parse(await SendAsync(HttpMethod.Post, "Patient", """{"resourceType":"Patient","name":[{"family":"One"}]}"""))!["id"]!.GetValue<string>();
        var second = JsonNode.Parse(await SendAsync(HttpMethod.Post, "Patient", """{"resourceType":"Patient","name":[{"family":"Two"}]}"""))!["id"]!.GetValue<string>();
        await SendAsync(HttpMethod.Get, $"Patient/{first}");
        await SendAsync(HttpMethod.Get, "Patient?family=one");
        await SendAsync(HttpMethod.Delete, $"Patient/{second}");
        await SendAsync(HttpMethod.Get, "Observation/none");
        using (await other.SendAsync(HttpMethod.Get, "Patient", other.AdminToken))
        {
        }

        var usage = await UsageAsync(project);
        var total = usage.GetProperty("total");
        long Delta(string name) => total.GetProperty(name).GetInt64() - (before.TryGetProperty(name, out var b) ? b.GetInt64() : 0);
        long Requests(string interaction) => (total.GetProperty("requests").TryGetProperty(interaction, out var n) ? n.GetInt64() : 0)
            - (before.TryGetProperty("requests", out var r) && r.TryGetProperty(interaction, out var m) ? m.GetInt64() : 0);

        // The first $usage read is counted once it was answered: its headers are among the costs.
        var charged = total.GetProperty("requestCharge").GetDouble() - (before.TryGetProperty("requestCharge", out var c) ? c.GetDouble() : 0);
        Assert.Equal(costs.Sum(x => x.Charge), charged, 2);
        Assert.Equal(costs.Sum(x => x.Calls), Delta("storeCalls"));
        Assert.Equal((2, 2, 1, 1, 1), (Requests("create"), Requests("read"), Requests("search-type"), Requests("delete"), Requests("operation")));
        Assert.True(Delta("bytesOut") > 0 && Delta("bytesIn") > 0);
        var patients = usage.GetProperty("storage").GetProperty("types").GetProperty("Patient");
        Assert.Equal(1, patients.GetProperty("count").GetInt64());
        Assert.InRange(patients.GetProperty("bytes").GetInt64(), 50, 2000);
        Assert.Empty(usage.GetProperty("partition").GetProperty("warnings").EnumerateArray());
        var (theirStatus, _) = await other.CallAsync(HttpMethod.Get, $"Project/{project.ProjectId}/$usage", other.AdminToken);
        Assert.Equal(HttpStatusCode.Forbidden, theirStatus);
    }

    [Fact]
    public async Task The_metrics_report_a_projects_bytes_and_how_much_of_a_partition_it_fills()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Metrics");
        var measured = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CosmosRequestMetrics.MeterName && instrument.Name.StartsWith("enclave.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "project" && Equals(tag.Value, project.ProjectId))
                {
                    lock (measured)
                    {
                        measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
                    }
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        const string Body = """{"resourceType":"Patient","name":[{"family":"Metered"}]}""";
        using (var created = await project.SendAsync(HttpMethod.Post, "Patient", project.AdminToken, Body))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var usage = await UsageAsync(project);
        measured.Remove("enclave.project.storage_bytes");
        measured.Remove("enclave.partition.storage_fraction");
        listener.RecordObservableInstruments();

        var stored = usage.GetProperty("storage").GetProperty("bytes").GetInt64();
        Assert.True(stored > 0);
        Assert.Equal(stored, measured["enclave.project.storage_bytes"]);
        Assert.Equal((double)stored / UsageLedger.PartitionStorageBytes, measured["enclave.partition.storage_fraction"], 12);
        Assert.Equal(Body.Length, measured["enclave.usage.bytes_in"]);
        Assert.True(measured["enclave.usage.bytes_out"] > 0);
    }

    [Fact]
    public async Task A_project_over_its_request_rate_gets_429s_naming_the_limit_and_a_quiet_one_none()
    {
        var hot = await PolicyProject.CreateAsync(app, app.CreateClient(), "Hot");
        var quiet = await PolicyProject.CreateAsync(app, app.CreateClient(), "Quiet");
        await SetAsync(hot, ("quotaRequestsPerSecond", 3));

        var hotAnswers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => hot.SendAsync(HttpMethod.Get, "Patient/none", hot.AdminToken)));
        var quietAnswers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => quiet.SendAsync(HttpMethod.Get, "Patient/none", quiet.AdminToken)));

        var refused = hotAnswers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.InRange(refused.Count, 20, 27); // a burst of about three admitted, then one every third of a second
        Assert.All(hotAnswers, a => Assert.True((int)a.StatusCode < 500, $"{(int)a.StatusCode}"));
        Assert.All(refused, a => Assert.True(a.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1)));
        var outcome = JsonNode.Parse(await refused[0].Content.ReadAsStringAsync())!;
        Assert.Equal("throttled", outcome["issue"]![0]!["code"]!.GetValue<string>());
        Assert.StartsWith("quotaRequestsPerSecond", outcome["issue"]![0]!["diagnostics"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(quietAnswers, a => Assert.Equal(HttpStatusCode.NotFound, a.StatusCode));

        // The usage read is the hot project's own request: it waits as long as the refusals asked, so the bucket holds a token for it.
        await Task.Delay(refused.Max(a => a.Headers.RetryAfter!.Delta!.Value));
        Assert.Equal(refused.Count, (await UsageAsync(hot)).GetProperty("total").GetProperty("refused").GetInt64());

        // The trail records the first refusal of the minute (two, if the burst straddled one) and every admitted read; usage counts every refusal.
        var records = await AuditRecords.AllAsync(app.Services.GetRequiredService<Microsoft.Azure.Cosmos.Container>(), hot.ProjectId);
        var throttled = records.Where(r => r.OutcomeDesc == "429 throttled").ToList();
        Assert.InRange(throttled.Count, 1, 2);
        Assert.Equal(hotAnswers.Length - refused.Count, records.Count(r => r.Interaction == "read" && r.OutcomeDesc.StartsWith("404", StringComparison.Ordinal)));
        Assert.All(throttled, r => Assert.Contains(r.Trace, refused.Select(AuditRecords.Trace)));
        foreach (var answer in hotAnswers.Concat(quietAnswers))
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task Request_units_and_bundle_entries_are_limited_by_the_projects_settings_and_bad_settings_are_refused()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Quota settings");
        foreach (var (name, value) in new[] { ("quotaRequestsPerSecond", -1m), ("quotaBundleEntries", 1.5m), ("quotaBundleEntries", 1001m), ("quotaConcurrentExports", 101m) })
        {
            var (_, stored) = await project.CallAsync(HttpMethod.Get, $"Project/{project.ProjectId}", project.AdminToken);
            var changed = JsonNode.Parse(stored.GetRawText())!.AsObject();
            changed["setting"] = new JsonArray(new JsonObject { ["name"] = name, ["valueDecimal"] = value });
            using var refused = await project.SendAsync(HttpMethod.Put, $"Project/{project.ProjectId}", project.AdminToken, changed.ToJsonString());
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains($"setting[{name}]", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await SetAsync(project, ("quotaBundleEntries", 2));
        var transaction = """{"resourceType":"Bundle","type":"transaction","entry":[""" + string.Join(',', Enumerable.Range(0, 3).Select(i =>
            $$$"""{"resource":{"resourceType":"Patient","name":[{"family":"B{{{i}}}"}]},"request":{"method":"POST","url":"Patient"}}""")) + "]}";
        using (var bundle = await project.SendAsync(HttpMethod.Post, string.Empty, project.AdminToken, transaction))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, bundle.StatusCode);
            Assert.Contains("quotaBundleEntries", await bundle.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var (_, none) = await project.CallAsync(HttpMethod.Get, "Patient?_summary=count", project.AdminToken);
        Assert.Equal(0, none.GetProperty("total").GetInt32()); // refused whole: nothing written

        await SetAsync(project, ("quotaBundleEntries", 10)); // above the configured 6: the configured quota holds
        string Transaction(int entries) => """{"resourceType":"Bundle","type":"transaction","entry":[""" + string.Join(',', Enumerable.Range(0, entries).Select(i =>
            $$$"""{"resource":{"resourceType":"Patient","name":[{"family":"R{{{i}}}"}]},"request":{"method":"POST","url":"Patient"}}""")) + "]}";
        using (var seven = await project.SendAsync(HttpMethod.Post, string.Empty, project.AdminToken, Transaction(7)))
        using (var six = await project.SendAsync(HttpMethod.Post, string.Empty, project.AdminToken, Transaction(6)))
        {
            Assert.Equal((HttpStatusCode.TooManyRequests, HttpStatusCode.OK), (seven.StatusCode, six.StatusCode));
        }

        await SetAsync(project, ("quotaRequestUnitsPerMinute", 1));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var read = await project.SendAsync(HttpMethod.Get, "Patient/none", project.AdminToken);
            statuses.Add(read.StatusCode);
            if (read.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Contains("quotaRequestUnitsPerMinute", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.InRange(read.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
            }
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]); // a minute's unit is spent by the first reads
    }

    [Fact]
    public async Task Creates_past_the_projects_resources_per_type_and_writes_past_its_storage_are_refused()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Storage quotas");
        await SetAsync(project, ("quotaResourcesPerType", 2));
        await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"A"}]}""");
        await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"B"}]}""");
        await Task.Delay(300);
        await Usage.FlushAsync(default); // the instance learns what the project stores at its flushes

        using (var third = await project.SendAsync(HttpMethod.Post, "Patient", project.AdminToken, """{"resourceType":"Patient","name":[{"family":"C"}]}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Contains("quotaResourcesPerType", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var observation = await project.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"x"}}""");
        var (_, patients) = await project.CallAsync(HttpMethod.Get, "Patient?_summary=count", project.AdminToken);
        Assert.Equal(2, patients.GetProperty("total").GetInt32());

        await SetAsync(project, ("quotaStorageBytes", 100));
        using var update = await project.SendAsync(HttpMethod.Put, $"Observation/{observation}", project.AdminToken,
            $$$"""{"resourceType":"Observation","id":"{{{observation}}}","status":"amended","code":{"text":"x"}}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, update.StatusCode);
        Assert.Contains("quotaStorageBytes", await update.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Observation/{observation}", project.AdminToken)).Status); // reads go on
    }
}
