using System.Globalization;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Fhir;

/// <summary><c>_history?_at=</c>: the versions that were current at some moment of the given date's range.</summary>
public sealed class HistoryAtTests(FakeClockApiFixture app) : IClassFixture<FakeClockApiFixture>
{
    [Fact]
    public async Task At_answers_the_versions_current_at_that_time()
    {
        // Start at 01:00 of a day, so "the whole day" below holds every version whenever the test runs.
        var now = app.Clock.GetUtcNow();
        app.Clock.SetUtcNow(new DateTimeOffset(now.UtcDateTime.Date.AddDays(1).AddHours(1), TimeSpan.Zero));
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "History at");
        async Task<JsonElement> SendAsync(HttpMethod method, string path, string? body = null)
        {
            using var response = await AuthClient.SendAsync(http, method, path, token, body is null ? null : AuthClient.Body(body));
            var text = await response.Content.ReadAsStringAsync();
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }

        string At(TimeSpan offset) => Uri.EscapeDataString((app.Clock.GetUtcNow() + offset).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        string[] Versions(JsonElement bundle) => bundle.TryGetProperty("entry", out var entries)
            ? [.. entries.EnumerateArray().Select(e => $"{e.GetProperty("fullUrl").GetString()![^4..]}@{e.GetProperty("response").GetProperty("etag").GetString()}")]
            : [];

        var start = app.Clock.GetUtcNow();
        var id = (await SendAsync(HttpMethod.Post, "/api/fhir/R4/Patient", """{"resourceType":"Patient","gender":"female"}""")).GetProperty("id").GetString()!;
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        await SendAsync(HttpMethod.Put, $"/api/fhir/R4/Patient/{id}", $$"""{"resourceType":"Patient","id":"{{id}}","gender":"male"}""");
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        await SendAsync(HttpMethod.Delete, $"/api/fhir/R4/Patient/{id}");
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        var tail = id[^4..];

        var beforeCreate = await SendAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_at={Uri.EscapeDataString((start - TimeSpan.FromMinutes(1)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture))}");
        var first = await SendAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_at={At(TimeSpan.FromMinutes(-25))}");
        var second = await SendAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/_history?_at={At(TimeSpan.FromMinutes(-15))}");
        var deleted = await SendAsync(HttpMethod.Get, $"/api/fhir/R4/_history?_at={At(TimeSpan.FromMinutes(-5))}");
        var wholeDay = await SendAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_at={start.UtcDateTime:yyyy-MM-dd}");
        var bad = await SendAsync(HttpMethod.Get, $"/api/fhir/R4/Patient/{id}/_history?_at=soon");

        Assert.Empty(Versions(beforeCreate));
        Assert.Equal([$"{tail}@W/\"1\""], Versions(first));
        Assert.Equal([$"{tail}@W/\"2\""], Versions(second));
        Assert.Equal([$"{tail}@W/\"3\""], Versions(deleted));
        Assert.Equal([$"{tail}@W/\"3\"", $"{tail}@W/\"2\"", $"{tail}@W/\"1\""], Versions(wholeDay));
        Assert.Equal("OperationOutcome", bad.GetProperty("resourceType").GetString());
    }
}
