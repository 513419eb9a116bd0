using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace Enclave.Api.Tests.Fuzzing;

/// <summary>
/// The token and login endpoints' body parsing, through the real app: random forms (repeated, huge, empty, badly
/// encoded fields), wrong media types, broken multipart and broken Basic credentials never get a 5xx, and every
/// answer is JSON (issue 13 §8). <c>ENCLAVE_FUZZ_CASES</c> raises the bounded number of cases.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class TokenFormFuzzTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("ENCLAVE_FUZZ_CASES"), out var n) && n > 0 ? n : 150;

    private static readonly string[] s_names = ["grant_type", "client_id", "client_secret", "code", "code_verifier", "redirect_uri", "refresh_token", "scope", "", "x", "grant_type[]", "%00"];

    private static readonly string[] s_values =
    [
        "client_credentials", "authorization_code", "refresh_token", "password", "", "enclave-admin", "%", "%ZZ", "%C0%AF", "%FF", "&", "=", "+",
        "a b", "\u0000", "\ud800", "' OR 1=1 --", new string('a', 65_536), new string('b', 300_000),
    ];

    private static readonly string?[] s_contentTypes =
    [
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data", "multipart/form-data; boundary=x",
        "multipart/form-data; boundary=", "application/json", "text/plain", null,
    ];

    private static readonly string?[] s_authorizations = [null, null, "Basic", "Basic ::::", "Basic !!!!", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("a:b")), "Bearer x", "Basic " + new string('A', 40_000)];

    [Fact]
    public void Token_endpoint_never_answers_5xx() => Check("/api/oauth2/token", Form());

    [Fact]
    public void Login_endpoint_never_answers_5xx() => Check("/api/auth/login", Gen.OneOf(Form(), LoginJson()));

    private void Check(string path, Gen<(string Body, string? ContentType, string? Authorization)> requests)
    {
        using var http = app.CreateClient();
        var property = Prop.ForAll(requests.ToArbitrary(), request =>
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(request.Body)) };
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }

            if (request.Authorization is not null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", request.Authorization);
            }

            using var response = http.SendAsync(message).GetAwaiter().GetResult();
            var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            return (int)response.StatusCode < 500 && IsJson(text) && !text.Contains("   at ", StringComparison.Ordinal);
        });
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true), property);
    }

    private static Gen<(string Body, string? ContentType, string? Authorization)> Form()
    {
        var field = from name in Gen.Elements(s_names)
                    from value in Gen.Elements(s_values)
                    from encode in Gen.Elements(true, true, false)
                    select (encode ? Uri.EscapeDataString(name) : name) + "=" + (encode && value.Length < 1000 ? Uri.EscapeDataString(value) : value);
        var many = Gen.Choose(0, 2500).Select(n => string.Join('&', Enumerable.Range(0, n).Select(i => $"f{i}=1")));
        var body = Gen.Frequency(
            (6, Gen.Choose(0, 8).SelectMany(n => Gen.ListOf(field, n)).Select(fs => string.Join('&', fs))),
            (1, many),
            (1, Gen.Elements("--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--", "--x", "&&&&", "=", "%", "{\"grant_type\":1}")));
        return from text in body
               from contentType in Gen.Elements(s_contentTypes)
               from authorization in Gen.Elements(s_authorizations)
               select (text, contentType, authorization);
    }

    private static Gen<(string Body, string? ContentType, string? Authorization)> LoginJson() =>
        from email in Gen.Elements("\"a@b.c\"", "5", "null", "[]", "{}", "\"" + new string('a', 70_000) + "@x\"", "\"\"")
        from password in Gen.Elements("\"correct horse battery\"", "5", "null", "\"\"", "{\"a\":1}")
        from challenge in Gen.Elements("\"abc\"", "null", "7", "\"" + new string('c', 10_000) + "\"")
        from method in Gen.Elements("\"S256\"", "\"plain\"", "null", "1")
        from shape in Gen.Choose(0, 4)
        select (shape switch
        {
            0 => $"{{\"email\":{email},\"password\":{password},\"codeChallenge\":{challenge},\"codeChallengeMethod\":{method}}}",
            1 => $"{{\"email\":{email},\"email\":{email},\"password\":{password}}}",
            2 => "[" + email + "]",
            3 => new StringBuilder().Insert(0, "[", 5000).ToString(),
            _ => "{\"email\":" + email,
        }, (string?)"application/json", (string?)null);

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
