using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Export;

/// <summary>An app whose export function is off (every step message is lost, as far as jobs can tell), with a lease of 1 s and two re-drives.</summary>
public sealed class StalledExportFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings)
    {
        settings["AzureWebJobs.ExportJob.Disabled"] = "true";
        settings["Export:Lease"] = "00:00:01";
        settings["Export:MaxRedrives"] = "2";
    }
}

/// <summary>A job whose steps stopped is never left at 202: a poll past the lease re-drives it, and once re-drives are spent it fails.</summary>
public sealed class ExportLeaseTests(StalledExportFixture app) : IClassFixture<StalledExportFixture>
{
    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string url, string token)
    {
        using var request = new HttpRequestMessage(method, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", "respond-async");
        return await http.SendAsync(request);
    }

    private async Task<int> QueuedAsync() =>
        (await app.Services.GetRequiredService<AzureStorageClients>().ExportQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    [Fact]
    public async Task A_job_without_steps_for_longer_than_the_lease_is_redriven_once_per_lease_then_failed()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Stalled export");
        using var kickoff = await SendAsync(http, HttpMethod.Get, "/api/fhir/R4/$export?_type=Patient", token);
        Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
        var status = kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
        Assert.Equal(1, await QueuedAsync()); // the kick-off's message, which nobody takes

        using (var early = await SendAsync(http, HttpMethod.Get, status, token))
        {
            Assert.Equal(HttpStatusCode.Accepted, early.StatusCode);
        }

        Assert.Equal(1, await QueuedAsync()); // within the lease: nothing re-driven

        for (var redrive = 1; redrive <= 2; redrive++)
        {
            await Task.Delay(1300);
            using var poll = await SendAsync(http, HttpMethod.Get, status, token);
            using var again = await SendAsync(http, HttpMethod.Get, status, token);
            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
            Assert.Equal(1 + redrive, await QueuedAsync()); // one step enqueued again, however many polls
        }

        await Task.Delay(1300);
        using var failed = await SendAsync(http, HttpMethod.Get, status, token);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        var outcome = JsonDocument.Parse(await failed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("OperationOutcome", outcome.GetProperty("resourceType").GetString());
        Assert.Contains("stopped making progress", outcome.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, await QueuedAsync());
    }
}
