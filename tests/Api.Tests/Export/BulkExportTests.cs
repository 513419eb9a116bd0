using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Export;

/// <summary>An app whose export steps are small (7 resources a page, 2 group members a search) and whose queue is polled quickly.</summary>
public sealed class SmallStepExportFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings)
    {
        settings["Export:PageSize"] = "7";
        settings["Export:MemberChunkSize"] = "2";
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200";
    }
}

/// <summary>
/// System-level <c>$export</c> through the local host, its queue steps and Blob Storage: the kick-off answers 202
/// with the status URL, the steps run from the queue, the manifest lists one file per type with its count, and the
/// files hold exactly what a search of the snapshot shows — nothing of another project, nothing written after T.
/// </summary>
public sealed class BulkExportTests(SmallStepExportFixture app) : IClassFixture<SmallStepExportFixture>
{
    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, string token, string? range = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (range is not null)
        {
            request.Headers.Range = RangeHeaderValue.Parse(range);
        }

        return await http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> KickoffAsync(HttpClient http, string token, string query, string prefer = "respond-async")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/api/fhir/R4/$export{query}", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        request.Headers.Accept.ParseAdd("application/fhir+json");
        return await http.SendAsync(request);
    }

    private static async Task<JsonElement> ManifestAsync(HttpClient http, string status, string token)
    {
        for (var i = 0; i < 300; i++)
        {
            using var poll = await GetAsync(http, status, token);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                Assert.StartsWith("application/json", poll.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
                return JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement.Clone();
            }

            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            Assert.False(string.IsNullOrEmpty(poll.Headers.GetValues("X-Progress").Single()));
            Assert.NotNull(poll.Headers.RetryAfter);
            await Task.Delay(100);
        }

        throw new TimeoutException("The export did not complete within 30 s.");
    }

    private static async Task<string> CreateAsync(HttpClient http, string token, string json)
    {
        using var created = await AuthClient.SendAsync(http, HttpMethod.Post, $"/api/fhir/R4/{JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()}", token, AuthClient.Body(json));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_system_export_holds_exactly_the_snapshot_of_the_callers_project_in_checkpointed_blocks()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Export A");
        var (_, other) = await AuthClient.NewProjectTokenAsync(http, app, "Export B");
        var patients = new List<string>();
        for (var i = 0; i < 17; i++)
        {
            patients.Add(await CreateAsync(http, token, $$"""{"resourceType":"Patient","name":[{"family":"Export{{i}}"}]}"""));
        }

        var observations = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            observations.Add(await CreateAsync(http, token, $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patients[i]}}}"}}"""));
        }

        var foreign = await CreateAsync(http, other, """{"resourceType":"Patient","name":[{"family":"Foreign"}]}""");

        using var kickoff = await KickoffAsync(http, token, "?_type=Patient,Observation,Condition&_outputFormat=application%2Ffhir%2Bndjson");
        Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
        var status = kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
        Assert.StartsWith("http", status, StringComparison.Ordinal);
        Assert.Contains(status, await kickoff.Content.ReadAsStringAsync(), StringComparison.Ordinal); // for clients that cannot read the header

        // Written after T: not in the export.
        var late = await CreateAsync(http, token, """{"resourceType":"Patient","name":[{"family":"Late"}]}""");

        var manifest = await ManifestAsync(http, status, token);
        Assert.True(manifest.GetProperty("requiresAccessToken").GetBoolean());
        Assert.EndsWith("$export?_type=Patient,Observation,Condition&_outputFormat=application%2Ffhir%2Bndjson", manifest.GetProperty("request").GetString(), StringComparison.Ordinal);
        Assert.True(DateTimeOffset.TryParse(manifest.GetProperty("transactionTime").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(0, manifest.GetProperty("error").GetArrayLength());
        var output = manifest.GetProperty("output").EnumerateArray().ToDictionary(o => o.GetProperty("type").GetString()!, o => o);
        Assert.Equal(["Observation", "Patient"], output.Keys.Order(StringComparer.Ordinal)); // no file for a type with nothing in it
        Assert.Equal(17, output["Patient"].GetProperty("count").GetInt32());
        Assert.Equal(3, output["Observation"].GetProperty("count").GetInt32());

        using var file = await GetAsync(http, output["Patient"].GetProperty("url").GetString()!, token);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("application/fhir+ndjson", file.Content.Headers.ContentType?.MediaType);
        var text = await file.Content.ReadAsStringAsync();
        ExportApi.AssertFacts(output["Patient"], Encoding.UTF8.GetBytes(text));
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ids = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).ToList();
        Assert.Equal(patients.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal)); // each once: 3 blocks of 7, 7, 3
        Assert.DoesNotContain(late, ids);
        Assert.DoesNotContain(foreign, text, StringComparison.Ordinal);

        // Ranges are served (resumable downloads).
        using var part = await GetAsync(http, output["Patient"].GetProperty("url").GetString()!, token, "bytes=0-9");
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(text[..10], await part.Content.ReadAsStringAsync());

        // Another project's token sees neither the job nor its files.
        using var foreignStatus = await GetAsync(http, status, other);
        using var foreignFile = await GetAsync(http, output["Patient"].GetProperty("url").GetString()!, other);
        Assert.Equal(HttpStatusCode.NotFound, foreignStatus.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, foreignFile.StatusCode);

        // Cancel after completion purges the files; every later poll is 404.
        using var cancel = await AuthClient.SendAsync(http, HttpMethod.Delete, status, token);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        using var gone = await GetAsync(http, status, token);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(await gone.Content.ReadAsStringAsync()).RootElement.GetProperty("resourceType").GetString());
        var jobId = status[(status.LastIndexOf('/') + 1)..];
        var container = app.Services.GetRequiredService<AzureStorageClients>().ExportContainer;
        var left = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, null, default))
        {
            if (blob.Name.Contains(jobId, StringComparison.Ordinal))
            {
                left.Add(blob.Name);
            }
        }

        Assert.Empty(left);
    }

    [Fact]
    public async Task Two_projects_exporting_at_once_each_get_exactly_their_own_resources()
    {
        using var http = app.CreateClient();
        var projects = new List<(string Token, List<string> Patients)>();
        foreach (var name in new[] { "Export at once A", "Export at once B" })
        {
            var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, name);
            var patients = new List<string>();
            for (var i = 0; i < 15; i++)
            {
                patients.Add(await CreateAsync(http, token, $$"""{"resourceType":"Patient","name":[{"family":"{{name}} {{i}}"}]}"""));
            }

            projects.Add((token, patients));
        }

        // Both kicked off before either is polled: their steps (pages of 7) interleave on the one queue.
        var statuses = new List<string>();
        foreach (var (token, _) in projects)
        {
            using var kickoff = await KickoffAsync(http, token, "?_type=Patient");
            statuses.Add(await ExportApi.StatusUrlAsync(kickoff));
        }

        var manifests = await Task.WhenAll(projects.Select((p, i) => ManifestAsync(http, statuses[i], p.Token)));

        for (var i = 0; i < projects.Count; i++)
        {
            Assert.Equal(ExportApi.Sorted(projects[i].Patients), await ExportApi.IdsAsync(http, manifests[i], "Patient", projects[i].Token));
            using var foreign = await GetAsync(http, manifests[i].GetProperty("output")[0].GetProperty("url").GetString()!, projects[1 - i].Token);
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }
    }

    [Fact]
    public async Task A_repeated_kickoff_returns_the_running_job_and_bad_parameters_are_400_unless_lenient()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Export kick-offs");

        using var noAsync = await KickoffAsync(http, token, string.Empty, prefer: "return=minimal");
        using var typeFilter = await KickoffAsync(http, token, "?_typeFilter=Patient%3F_sort%3Dname");
        using var badType = await KickoffAsync(http, token, "?_type=Patients");
        using var badFormat = await KickoffAsync(http, token, "?_outputFormat=text%2Fcsv");
        using var badSince = await KickoffAsync(http, token, "?_since=yesterday");
        Assert.All(new[] { noAsync, typeFilter, badType, badFormat, badSince }, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));

        using var lenient = await KickoffAsync(http, token, "?_type=Patient&_typeFilter=Patient%3F_sort%3Dname", "respond-async, handling=lenient");
        Assert.Equal(HttpStatusCode.Accepted, lenient.StatusCode);
        Assert.Contains("_typeFilter", await lenient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}

/// <summary>An app whose export function is switched off (<c>AzureWebJobs.ExportJob.Disabled</c>): jobs stay running.</summary>
public sealed class HeldExportFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings) => settings["AzureWebJobs.ExportJob.Disabled"] = "true";
}

/// <summary>Kick-offs while jobs run: a repeated one gets its job back, one past the project's limit is 429.</summary>
public sealed class RunningExportTests(HeldExportFixture app) : IClassFixture<HeldExportFixture>
{
    private static async Task<HttpResponseMessage> KickoffAsync(HttpClient http, string token, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/api/fhir/R4/$export{query}", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
        return await http.SendAsync(request);
    }

    private static string? Location(HttpResponseMessage response) =>
        response.Content.Headers.ContentLocation?.ToString() ?? (response.Headers.TryGetValues("Content-Location", out var v) ? v.Single() : null);

    [Fact]
    public async Task A_repeated_kickoff_returns_the_running_job_and_one_past_the_limit_is_429()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Held exports");

        using var first = await KickoffAsync(http, token, "?_type=Patient");
        using var repeated = await KickoffAsync(http, token, "?_type=Patient");
        using var other = await KickoffAsync(http, token, "?_type=Observation");
        using var third = await KickoffAsync(http, token, "?_type=Condition");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, repeated.StatusCode);
        Assert.Equal(Location(first), Location(repeated));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.NotEqual(Location(first), Location(other));
        Assert.Equal((HttpStatusCode)429, third.StatusCode); // Export:MaxConcurrentJobsPerProject is 2
        Assert.NotNull(third.Headers.RetryAfter);

        // While it runs, a poll is 202 with progress and no body a client could mistake for a status URL.
        using var poll = await AuthClient.SendAsync(http, HttpMethod.Get, Location(first)!, token);
        Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
        Assert.Contains("0 of 1 types done", poll.Headers.GetValues("X-Progress").Single(), StringComparison.Ordinal);
        Assert.Empty(await poll.Content.ReadAsStringAsync());
    }
}
