using System.Net;
using System.Text;
using System.Text.Json;

namespace Enclave.Api.Tests.Hostile;

/// <summary>
/// Runs every case of <see cref="HostileCorpus"/> against the real app and asserts, for each: the status class (never
/// a 5xx); an OperationOutcome body for a refusal (RFC 6749 JSON on the token endpoint); nothing written (the
/// container's document count and the seeded resources' versions unchanged); and no trace of project B anywhere in
/// the answer, headers included, unless the request itself named it.
/// </summary>
public sealed class HostileCorpusTests(HostileFixture app) : IClassFixture<HostileFixture>
{
    public static TheoryData<string> Names() => [.. HostileCorpus.Cases.Keys];

    [Fact]
    public void The_corpus_holds_at_least_300_cases_across_every_route_family()
    {
        Assert.True(HostileCorpus.Cases.Count >= 300, $"{HostileCorpus.Cases.Count} cases");
        Assert.True(HostileCorpus.Cases.Values.Select(c => c.Family).Distinct().Count() >= 20);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Hostile_input_is_refused_cleanly(string name)
    {
        var hostile = HostileCorpus.Cases[name];
        using var http = app.CreateClient();
        var before = await app.DocumentCountAsync();
        var versions = await SeededVersionsAsync(http);
        var path = Resolve(hostile.Path.StartsWith('F') ? "/api/fhir/R4" + hostile.Path[1..] : hostile.Path);
        var body = hostile.Body is null ? null : Resolve(hostile.Body);

        using var request = new HttpRequestMessage(new HttpMethod(hostile.Method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (hostile.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType);
            }
        }

        var token = hostile.Caller switch { Caller.AdminA => app.AdminA, Caller.MemberA => app.MemberA, _ => null };
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        foreach (var (header, value) in hostile.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.Remove(header);
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;

        Assert.True(status / 100 == hostile.Expected, $"{status}, expected {hostile.Expected}xx: {Clip(text)}");
        if (status >= 400)
        {
            using var outcome = JsonDocument.Parse(text);
            // The token endpoint answers RFC 6749 errors; a refusal at the edge (413) is an OperationOutcome there too.
            if (path.StartsWith("/api/oauth2/token", StringComparison.Ordinal) && hostile.Method == "POST" && outcome.RootElement.TryGetProperty("error", out _))
            {
                Assert.Equal(JsonValueKind.String, outcome.RootElement.GetProperty("error").ValueKind);
            }
            else
            {
                Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
                var issue = outcome.RootElement.GetProperty("issue")[0];
                Assert.False(string.IsNullOrEmpty(issue.GetProperty("code").GetString()));
                Assert.False(string.IsNullOrWhiteSpace(issue.GetProperty("diagnostics").GetString()), "a human message");
            }
        }

        Assert.Equal(before, await app.DocumentCountAsync());
        Assert.Equal(versions, await SeededVersionsAsync(http));
        var answer = text + string.Join('\n', response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(',', h.Value)}"));
        var asked = path + body;
        foreach (var secret in new[] { app.MarkerB, app.ProjectB, app.PatientB, app.OrganizationB, app.ClientB })
        {
            // What the request named may be echoed (a self link, a diagnostic); no resource in the answer may hold it.
            Assert.DoesNotContain(secret, asked.Contains(secret, StringComparison.Ordinal) ? Resources(text) : answer, StringComparison.Ordinal);
        }
    }

    /// <summary>The resources an answer carries: the resource itself, or a bundle's entry resources.</summary>
    private static string Resources(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            // Errors (an OperationOutcome, an RFC 6749 error) may echo what was asked; anything else is checked whole.
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("error", out _)
                || root.TryGetProperty("resourceType", out var type) && type.GetString() == "OperationOutcome")
            {
                return string.Empty;
            }

            if (!root.TryGetProperty("resourceType", out _))
            {
                return text;
            }

            return root.TryGetProperty("entry", out var entries)
                ? string.Join('\n', entries.EnumerateArray().Select(e => e.TryGetProperty("resource", out var r) ? r.GetRawText() : string.Empty))
                : root.GetProperty("resourceType").GetString() == "Bundle" ? string.Empty : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private string Resolve(string text) => text
        .Replace("{A}", app.ProjectA, StringComparison.Ordinal).Replace("{B}", app.ProjectB, StringComparison.Ordinal)
        .Replace("{pA}", app.PatientA, StringComparison.Ordinal).Replace("{oA}", app.ObservationA, StringComparison.Ordinal)
        .Replace("{pB}", app.PatientB, StringComparison.Ordinal).Replace("{orgB}", app.OrganizationB, StringComparison.Ordinal)
        .Replace("{clientB}", app.ClientB, StringComparison.Ordinal).Replace("{mA}", app.MembershipA, StringComparison.Ordinal)
        .Replace("{marker}", app.MarkerB, StringComparison.Ordinal);

    private async Task<string> SeededVersionsAsync(HttpClient http)
    {
        var versions = new List<string>();
        foreach (var reference in app.SeededA)
        {
            using var response = await Auth.AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/{reference}", app.AdminA);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            versions.Add($"{reference}@{response.Headers.ETag}");
        }

        return string.Join(';', versions);
    }

    private static string Clip(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
