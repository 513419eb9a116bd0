using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Export;

/// <summary>
/// Exactly once, whatever goes wrong: an export disturbed by a worker killed between block upload and checkpoint,
/// between checkpoint and enqueue, or after a file's commit, by every message delivered twice, or by Cosmos DB 429s,
/// gives byte-identical files and the same manifest (but for the job's id and URLs, and T) as an undisturbed export of
/// the same project. The export is cut by bytes and rolls files over, so those paths are disturbed too.
/// </summary>
public sealed class ExportFaultTests(ExportFaultFixture app) : IClassFixture<ExportFaultFixture>, IAsyncLifetime
{
    private static readonly SemaphoreSlim s_seeding = new(1, 1);
    private static (string Token, Export Baseline)? s_seeded;

    /// <summary>One export's result: each file's bytes by name, and the manifest's output as (type, file, count).</summary>
    private sealed record Export(IReadOnlyDictionary<string, byte[]> Files, IReadOnlyList<string> Output);

    public Task InitializeAsync()
    {
        app.Faults.Reset();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        app.Faults.Reset();
        return Task.CompletedTask;
    }

    /// <summary>The project (seeded once for the class: patients of varied sizes, observations) and its undisturbed export.</summary>
    private async Task<(string Token, Export Baseline)> SeededAsync(HttpClient http)
    {
        await s_seeding.WaitAsync();
        try
        {
            if (s_seeded is { } seeded)
            {
                return seeded;
            }

            var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Export faults");
            for (var i = 0; i < 36; i++)
            {
                var family = $"F{i}{new string('x', i * 37 % 400)}";
                await CreateAsync(http, token, $$$"""{"resourceType":"Patient","name":[{"family":"{{{family}}}"}]}""");
            }

            for (var i = 0; i < 12; i++)
            {
                await CreateAsync(http, token, $$$"""{"resourceType":"Observation","status":"final","code":{"text":"o{{{i}}}"}}""");
            }

            var baseline = await ExportAsync(http, token);
            Assert.True(baseline.Output.Count(o => o.StartsWith("Patient|", StringComparison.Ordinal)) >= 3, string.Join(", ", baseline.Output)); // files rolled over
            Assert.Equal(36, baseline.Output.Where(o => o.StartsWith("Patient|", StringComparison.Ordinal)).Sum(o => int.Parse(o.Split('|')[2], System.Globalization.CultureInfo.InvariantCulture)));
            // The baseline itself holds each patient exactly once, across its files, though its blocks were cut by bytes.
            var ids = baseline.Files.Where(f => f.Key.StartsWith("Patient", StringComparison.Ordinal))
                .SelectMany(f => System.Text.Encoding.UTF8.GetString(f.Value).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToList();
            Assert.Equal(36, ids.Count);
            Assert.Equal(36, ids.Distinct(StringComparer.Ordinal).Count());
            Assert.All(baseline.Files.Values, f => Assert.True(f.Length <= 4000, $"A file of {f.Length} bytes passed Export:MaxFileBytes."));
            s_seeded = (token, baseline);
            return s_seeded.Value;
        }
        finally
        {
            s_seeding.Release();
        }
    }

    private static async Task CreateAsync(HttpClient http, string token, string json)
    {
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, $"/api/fhir/R4/{JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()}", token, AuthClient.Body(json));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    /// <summary>Kicks off, polls (waiting out a throttled poll's Retry-After) and downloads every file.</summary>
    private static async Task<Export> ExportAsync(HttpClient http, string token)
    {
        string? status = null;
        for (var attempt = 0; status is null; attempt++)
        {
            // A throttled kick-off is retried, as clients do (a repeat while the job runs returns that job).
            using var kickoff = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/$export?_type=Patient,Observation", token);
            if (kickoff.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < 20)
            {
                await Task.Delay(100);
                continue;
            }

            Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
            status = kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
        }

        var deadline = DateTime.UtcNow.AddSeconds(150);
        while (true)
        {
            using var poll = await SendAsync(http, HttpMethod.Get, status, token);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                var manifest = JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement;
                var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                var output = new List<string>();
                foreach (var item in manifest.GetProperty("output").EnumerateArray())
                {
                    var url = item.GetProperty("url").GetString()!;
                    var name = url[(url.LastIndexOf('/') + 1)..];
                    output.Add($"{item.GetProperty("type").GetString()}|{name}|{item.GetProperty("count").GetInt64()}");
                    files[name] = await DownloadAsync(http, url, token);
                }

                Assert.Equal(0, manifest.GetProperty("error").GetArrayLength());
                return new Export(files, output);
            }

            // 202 while it runs; 429/503 when the poll itself was throttled (the export is not failed by it).
            Assert.True(poll.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable,
                $"{(int)poll.StatusCode}: {await poll.Content.ReadAsStringAsync()}");
            Assert.True(DateTime.UtcNow < deadline, "The export did not complete in time.");
            await Task.Delay(150);
        }
    }

    /// <summary>A file's bytes, retried while the download is throttled (429 with Retry-After) like any client would.</summary>
    private static async Task<byte[]> DownloadAsync(HttpClient http, string url, string token)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var file = await SendAsync(http, HttpMethod.Get, url, token);
            if (file.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < 20)
            {
                Assert.NotNull(file.Headers.RetryAfter);
                await Task.Delay(100);
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            return await file.Content.ReadAsByteArrayAsync();
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, string token)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
        return await http.SendAsync(request);
    }

    private static void AssertSame(Export baseline, Export disturbed)
    {
        Assert.Equal(baseline.Output, disturbed.Output);
        Assert.Equal(baseline.Files.Keys.Order(StringComparer.Ordinal), disturbed.Files.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in baseline.Files)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(disturbed.Files[name]), $"{name} differs from the undisturbed export's.");
        }
    }

    [Theory]
    [InlineData("stage", 2)]
    [InlineData("stage", 9)]
    [InlineData("record", 3)]
    [InlineData("record", 10)]
    [InlineData("commit", 1)]
    public async Task A_worker_killed_at_any_point_of_a_step_leaves_the_same_files(string where, int nth)
    {
        using var http = app.CreateClient();
        var (token, baseline) = await SeededAsync(http);
        switch (where)
        {
            case "stage":
                app.Faults.KillAfterStage(nth); // the block is staged, the checkpoint not recorded
                break;
            case "record":
                app.Faults.KillAfterRecord(nth); // the checkpoint is recorded, the next step not enqueued
                break;
            default:
                app.Faults.KillAfterCommit(nth); // a rolled-over file is committed, the job does not know it yet
                break;
        }

        var disturbed = await ExportAsync(http, token);

        Assert.Equal(1, app.Faults.Killed);
        AssertSame(baseline, disturbed);
    }

    [Fact]
    public async Task Every_message_delivered_twice_leaves_the_same_files()
    {
        using var http = app.CreateClient();
        var (token, baseline) = await SeededAsync(http);
        app.Faults.Duplicate = true;

        var disturbed = await ExportAsync(http, token);

        Assert.True(app.Faults.Duplicated >= 10, $"{app.Faults.Duplicated} duplicates");
        AssertSame(baseline, disturbed);
    }

    [Fact]
    public async Task Cosmos_429s_past_the_SDKs_retries_delay_steps_without_failing_the_job_or_changing_its_files()
    {
        using var http = app.CreateClient();
        var (token, baseline) = await SeededAsync(http);
        var throttled = app.Logs.Lines.Count(l => l.Contains("was throttled", StringComparison.Ordinal));
        app.Faults.Throttler.RetryAfter = TimeSpan.FromMilliseconds(300);
        app.Faults.Throttler.EveryNth = 25;

        var disturbed = await ExportAsync(http, token);
        app.Faults.Throttler.EveryNth = 0;

        Assert.True(app.Faults.Throttler.Refused >= 5, $"{app.Faults.Throttler.Refused} refusals");
        Assert.True(app.Logs.Lines.Count(l => l.Contains("was throttled", StringComparison.Ordinal)) > throttled); // steps were rescheduled, not failed
        AssertSame(baseline, disturbed);
    }

    [Fact]
    public async Task A_request_the_database_throttles_is_429_with_Retry_After_never_a_500()
    {
        using var http = app.CreateClient();
        var (token, _) = await SeededAsync(http);
        app.Faults.Throttler.EveryNth = 1;

        using var read = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?_count=1", token);
        using var kickoff = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/$export", token);
        app.Faults.Throttler.EveryNth = 0;

        foreach (var answer in new[] { read, kickoff })
        {
            var body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.TooManyRequests, $"{(int)answer.StatusCode}: {body}");
            Assert.NotNull(answer.Headers.RetryAfter);
            Assert.Equal("throttled", JsonDocument.Parse(body).RootElement.GetProperty("issue")[0].GetProperty("code").GetString());
            Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        }
    }
}
