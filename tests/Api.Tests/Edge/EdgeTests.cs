using System.Net;
using System.Text;
using System.Text.Json;
using Enclave.Api.Tests.Auth;

namespace Enclave.Api.Tests.Edge;

/// <summary>
/// Every error a client can get from an /api route is an OperationOutcome with an issue code and a message
/// (issue 13 §3), the edge limits hold (docs/limits.md), and an unexpected failure shows no exception text.
/// </summary>
public sealed class EdgeTests(EdgeFixture app) : IClassFixture<EdgeFixture>
{
    private static async Task<(HttpStatusCode Status, string Code, string Text, HttpResponseMessage Response)> SendAsync(
        HttpClient http, HttpRequestMessage request)
    {
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);
        Assert.Equal("OperationOutcome", body.RootElement.GetProperty("resourceType").GetString());
        var issue = body.RootElement.GetProperty("issue")[0];
        Assert.False(string.IsNullOrWhiteSpace(issue.GetProperty("diagnostics").GetString()), "the outcome says what is wrong");
        return (response.StatusCode, issue.GetProperty("code").GetString()!, text, response);
    }

    private async Task<string> TokenAsync(HttpClient http) => (await AuthClient.NewProjectTokenAsync(http, app, "Edge")).Token;

    private static HttpRequestMessage Get(string path, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return request;
    }

    [Theory]
    [InlineData("/api/fhir/R4/Patient")]
    [InlineData("/api/fhir/R4/Patient/1")]
    [InlineData("/api/fhir/R4/ProjectMembership/x")]
    public async Task Unauthenticated_is_401_with_WWW_Authenticate_and_an_outcome(string path)
    {
        using var http = app.CreateClient();

        var (status, code, _, response) = await SendAsync(http, Get(path));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("login", code);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        response.Dispose();
    }

    [Theory]
    [InlineData("/api/fhir/R4/Patient/1/nothing/here")]
    [InlineData("/api/no-such-route")]
    public async Task Unknown_routes_are_404_outcomes(string path)
    {
        using var http = app.CreateClient();
        var token = await TokenAsync(http);

        var (status, code, _, response) = await SendAsync(http, Get(path, token));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not-found", code);
        response.Dispose();
    }

    [Fact]
    public async Task A_method_a_route_does_not_take_is_405_with_Allow()
    {
        using var http = app.CreateClient();
        var token = await TokenAsync(http);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/oauth2/token");
        request.Headers.Authorization = new("Bearer", token);

        var (status, code, _, response) = await SendAsync(http, request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Equal("not-supported", code);
        Assert.Contains("POST", response.Content.Headers.Allow);
        response.Dispose();
    }

    [Fact]
    public async Task A_url_over_the_limit_is_414()
    {
        using var http = app.CreateClient();

        var (status, code, _, response) = await SendAsync(http, Get("/api/fhir/R4/Patient?name=" + new string('a', 9000)));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, status);
        Assert.Equal("too-long", code);
        response.Dispose();
    }

    [Fact]
    public async Task Headers_over_the_limit_are_431()
    {
        using var http = app.CreateClient();
        using var request = Get("/api/fhir/R4/Patient");
        request.Headers.Add("X-Padding", new string('a', 20_000));

        var (status, code, _, response) = await SendAsync(http, request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, status);
        Assert.Equal("too-long", code);
        response.Dispose();
    }

    [Fact]
    public async Task Too_many_query_values_are_400()
    {
        using var http = app.CreateClient();
        var token = await TokenAsync(http);
        var query = string.Join('&', Enumerable.Range(0, 250).Select(i => $"x{i}=1"));

        var (status, code, _, response) = await SendAsync(http, Get("/api/fhir/R4/Patient?" + query, token));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("too-costly", code);
        response.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_the_limit_is_413_with_or_without_Content_Length(bool withLength)
    {
        using var http = app.CreateClient();
        var token = await TokenAsync(http);
        var body = "{\"resourceType\":\"Patient\",\"id\":\"" + new string('a', 3 * 1024 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/fhir/R4/Patient")
        {
            Content = withLength
                ? new StringContent(body, Encoding.UTF8, "application/fhir+json")
                : new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body))) { Headers = { { "Content-Type", "application/fhir+json" } } },
        };
        request.Headers.Authorization = new("Bearer", token);
        if (!withLength)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        var (status, code, _, response) = await SendAsync(http, request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("too-long", code);
        response.Dispose();
    }

    [Theory]
    [InlineData("many")]
    [InlineData("long-value")]
    [InlineData("multipart-without-boundary")]
    public async Task A_search_form_over_the_limits_or_malformed_is_400(string kind)
    {
        using var http = app.CreateClient();
        var token = await TokenAsync(http);
        HttpContent content = kind switch
        {
            "many" => new StringContent(string.Join('&', Enumerable.Range(0, 2000).Select(i => $"f{i}=1")), Encoding.UTF8, "application/x-www-form-urlencoded"),
            "long-value" => new StringContent("name=" + new string('a', 1_000_000), Encoding.UTF8, "application/x-www-form-urlencoded"),
            _ => new StringContent("--x\r\n\r\nname=a\r\n--x--", Encoding.UTF8, "multipart/form-data"),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/fhir/R4/Patient/_search") { Content = content };
        request.Headers.Authorization = new("Bearer", token);

        var (status, _, _, response) = await SendAsync(http, request);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        response.Dispose();
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_outcome_with_a_correlation_id_and_no_exception_text()
    {
        using var http = app.CreateClient();
        var token = await TokenAsync(http);

        var (status, code, text, response) = await SendAsync(http, Get(EdgeFixture.ThrowingPath, token));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("exception", code);
        var correlation = Assert.Single(response.Headers.GetValues("X-Correlation-Id"));
        Assert.Contains(correlation, text, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-leak", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.Contains(app.Logs.Lines, line => line.Contains(correlation, StringComparison.Ordinal) && line.Contains(EdgeFixture.SecretText, StringComparison.Ordinal));
        response.Dispose();
    }

    [Fact]
    public async Task Every_answer_carries_a_correlation_id()
    {
        using var http = app.CreateClient();

        using var response = await http.GetAsync(new Uri("/api/fhir/R4/metadata", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(Assert.Single(response.Headers.GetValues("X-Correlation-Id"))));
    }
}
