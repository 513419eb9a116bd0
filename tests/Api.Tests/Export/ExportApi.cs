using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Enclave.Api.Tests.Export;

/// <summary>Test helper: kick-offs at any level, polling to the manifest, and the lines of a type's files.</summary>
internal static class ExportApi
{
    /// <summary>A kick-off of <paramref name="path"/> (<c>$export</c>, <c>Patient/$export</c>, <c>Group/x/$export</c>): GET, or POST with a Parameters body.</summary>
    public static async Task<HttpResponseMessage> KickoffAsync(HttpClient http, string token, string path, string? parameters = null,
        string prefer = "respond-async")
    {
        using var request = new HttpRequestMessage(parameters is null ? HttpMethod.Get : HttpMethod.Post, new Uri($"/api/fhir/R4/{path}", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("Prefer", prefer);
        request.Headers.Accept.ParseAdd("application/fhir+json");
        if (parameters is not null)
        {
            request.Content = new StringContent(parameters, System.Text.Encoding.UTF8, "application/fhir+json");
        }

        return await http.SendAsync(request);
    }

    /// <summary>The status URL of an accepted kick-off (asserting 202).</summary>
    public static async Task<string> StatusUrlAsync(HttpResponseMessage kickoff)
    {
        Assert.True(kickoff.StatusCode == HttpStatusCode.Accepted, await kickoff.Content.ReadAsStringAsync());
        return kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
    }

    public static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, UriKind.RelativeOrAbsolute));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }

    /// <summary>Polls until the manifest (60 s at most).</summary>
    public static async Task<JsonElement> ManifestAsync(HttpClient http, string status, string token)
    {
        for (var i = 0; i < 600; i++)
        {
            using var poll = await GetAsync(http, status, token);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                return JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement.Clone();
            }

            Assert.True(poll.StatusCode == HttpStatusCode.Accepted, await poll.Content.ReadAsStringAsync());
            await Task.Delay(100);
        }

        throw new TimeoutException("The export did not complete within 60 s.");
    }

    /// <summary>Kicks off, waits, and returns the manifest.</summary>
    public static async Task<JsonElement> ExportAsync(HttpClient http, string token, string path, string? parameters = null, string prefer = "respond-async")
    {
        using var kickoff = await KickoffAsync(http, token, path, parameters, prefer);
        return await ManifestAsync(http, await StatusUrlAsync(kickoff), token);
    }

    /// <summary>The types of the manifest's <paramref name="section"/>, sorted and distinct.</summary>
    public static List<string> Types(JsonElement manifest, string section = "output") =>
        [.. manifest.GetProperty(section).EnumerateArray().Select(o => o.GetProperty("type").GetString()!).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>Every line of every file of <paramref name="type"/> in the manifest's <paramref name="section"/>.</summary>
    public static async Task<List<JsonElement>> LinesAsync(HttpClient http, JsonElement manifest, string type, string token, string section = "output")
    {
        var lines = new List<JsonElement>();
        foreach (var item in manifest.GetProperty(section).EnumerateArray().Where(o => o.GetProperty("type").GetString() == type))
        {
            using var file = await GetAsync(http, item.GetProperty("url").GetString()!, token);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            var bytes = await file.Content.ReadAsByteArrayAsync();
            AssertFacts(item, bytes);
            lines.AddRange(Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()));
        }

        return lines;
    }

    /// <summary>The manifest entry's extension gives the downloaded file's size and SHA-256, and its count its lines.</summary>
    public static void AssertFacts(JsonElement item, byte[] file)
    {
        var facts = item.GetProperty("extension");
        Assert.Equal(file.Length, facts.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), facts.GetProperty("sha256").GetString());
        Assert.Equal(file.AsSpan().Count((byte)'\n'), item.GetProperty("count").GetInt32());
    }

    /// <summary>The ids of the lines of <paramref name="type"/>, sorted (duplicates kept, so a test sees them).</summary>
    public static async Task<List<string>> IdsAsync(HttpClient http, JsonElement manifest, string type, string token) =>
        [.. (await LinesAsync(http, manifest, type, token)).Select(l => l.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];

    public static List<string> Sorted(params IEnumerable<string>[] ids) => [.. ids.SelectMany(i => i).Order(StringComparer.Ordinal)];
}
