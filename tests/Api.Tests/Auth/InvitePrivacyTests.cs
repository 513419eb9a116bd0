using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Enclave.Api.Tests.Auth;

/// <summary>
/// Inviting an email answers alike whether or not another project already has that user, and no answer of the
/// inviting project carries what another project entered (ADR 0003). Regression for the invite that disclosed
/// another tenant's user: its id with the names the other project's admin had entered.
/// </summary>
public sealed class InvitePrivacyTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string PasswordInA = "the password project A set";

    // What project A entered about the user: none of it may reach project B.
    private static readonly string[] s_foreignMarkers = ["Augusta", "Lovelace", "Practitioner/ada-in-a"];

    private sealed record Projects(HttpClient Http, (string Id, string Token) A, (string Id, string Token) B);

    private async Task<Projects> TwoProjectsAsync()
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var a = await AuthClient.CreateProjectAsync(http, superAdmin, "Practice A");
        var b = await AuthClient.CreateProjectAsync(http, superAdmin, "Practice B");
        return new(http, (a.ProjectId, await AuthClient.TokenAsync(http, a.ClientId, a.Secret)), (b.ProjectId, await AuthClient.TokenAsync(http, b.ClientId, b.Secret)));
    }

    private static string NewEmail() => $"{Guid.NewGuid():N}@example.org";

    private static object Invitation(string email, string password) => new
    {
        email,
        firstName = "Grace",
        lastName = "Hopper",
        password,
        profile = new { reference = "Practitioner/grace-in-b" },
        access = Array.Empty<object>(),
    };

    /// <summary>The answer with the user id, membership id and email replaced by placeholders.</summary>
    private static string Masked(string body)
    {
        var root = JsonNode.Parse(body)!;
        var userId = root["user"]!["id"]!.GetValue<string>();
        var membershipId = root["membership"]!["id"]!.GetValue<string>();
        var email = root["user"]!["email"]!.GetValue<string>();
        return body.Replace(userId, "{user}", StringComparison.Ordinal).Replace(membershipId, "{membership}", StringComparison.Ordinal)
            .Replace(email, "{email}", StringComparison.Ordinal);
    }

    private static string Headers(HttpResponseMessage response) =>
        string.Join("\n", response.Headers.Concat(response.Content.Headers).Where(h => h.Key is not ("Date" or "X-Correlation-Id"))
            .OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));

    [Fact]
    public async Task Inviting_an_email_another_project_uses_answers_exactly_like_a_new_email()
    {
        var (http, a, b) = await TwoProjectsAsync();
        using (http)
        {
            var known = NewEmail();
            using (var inA = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, new
            {
                email = known,
                firstName = "Augusta",
                lastName = "Lovelace",
                password = PasswordInA,
                profile = new { reference = "Practitioner/ada-in-a" },
            }))
            {
                Assert.Equal(HttpStatusCode.Created, inA.StatusCode);
            }

            using var knownAnswer = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, Invitation(known.ToUpperInvariant(), "a password B chose"));
            using var newAnswer = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, Invitation(NewEmail(), "a password B chose"));
            var knownBody = await knownAnswer.Content.ReadAsStringAsync();
            var newBody = await newAnswer.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.Created, knownAnswer.StatusCode);
            Assert.Equal(newAnswer.StatusCode, knownAnswer.StatusCode);
            Assert.Equal(Headers(newAnswer), Headers(knownAnswer));
            Assert.Equal(Masked(newBody), Masked(knownBody));
            foreach (var marker in s_foreignMarkers.Append(a.Id))
            {
                Assert.DoesNotContain(marker, knownBody, StringComparison.Ordinal);
            }

            Assert.Contains("\"firstName\":\"Grace\"", knownBody, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_inviting_project_reads_only_its_own_profile_of_a_shared_user()
    {
        var (http, a, b) = await TwoProjectsAsync();
        using (http)
        {
            var email = NewEmail();
            using var inA = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, new
            {
                email,
                firstName = "Augusta",
                lastName = "Lovelace",
                password = PasswordInA,
                profile = new { reference = "Practitioner/ada-in-a" },
            });
            using var inB = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, Invitation(email, "a password B chose"));
            var invited = JsonNode.Parse(await inB.Content.ReadAsStringAsync())!;
            var userId = invited["user"]!["id"]!.GetValue<string>();
            var membershipId = invited["membership"]!["id"]!.GetValue<string>();

            var reads = new List<string>();
            foreach (var path in new[] { $"User/{userId}", $"ProjectMembership/{membershipId}", $"ProjectMembership?user=User/{userId}", "ProjectMembership" })
            {
                using var read = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/{path}", b.Token);
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                reads.Add(await read.Content.ReadAsStringAsync());
            }

            using var readByA = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/User/{userId}", a.Token);
            var seenByA = await readByA.Content.ReadAsStringAsync();

            foreach (var body in reads)
            {
                foreach (var marker in s_foreignMarkers.Append(a.Id))
                {
                    Assert.DoesNotContain(marker, body, StringComparison.Ordinal);
                }
            }

            Assert.Contains("\"firstName\":\"Grace\"", reads[0], StringComparison.Ordinal);
            Assert.Contains("\"lastName\":\"Hopper\"", reads[0], StringComparison.Ordinal);
            Assert.Contains("Augusta", seenByA, StringComparison.Ordinal);
            Assert.DoesNotContain("Grace", seenByA, StringComparison.Ordinal);
            Assert.DoesNotContain("Hopper", seenByA, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_password_given_for_an_existing_user_is_ignored_and_they_keep_their_own()
    {
        var (http, a, b) = await TwoProjectsAsync();
        using (http)
        {
            var email = NewEmail();
            using var inA = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, new { email, password = PasswordInA });
            using var inB = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, Invitation(email, "B tries to take over"));

            using var withOwn = await LoginAsync(http, email, PasswordInA);
            using var withB = await LoginAsync(http, email, "B tries to take over");

            Assert.Equal(HttpStatusCode.Created, inB.StatusCode);
            Assert.Equal(HttpStatusCode.OK, withOwn.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, withB.StatusCode);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("short")]
    public async Task A_missing_or_short_password_is_refused_alike_for_known_and_new_emails(string? password)
    {
        var (http, a, b) = await TwoProjectsAsync();
        using (http)
        {
            var known = NewEmail();
            using var inA = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, new { email = known, password = PasswordInA });

            using var forKnown = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, new { email = known, password });
            using var forNew = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, new { email = NewEmail(), password });

            Assert.Equal(HttpStatusCode.BadRequest, forKnown.StatusCode);
            Assert.Equal(forNew.StatusCode, forKnown.StatusCode);
            Assert.Equal(await forNew.Content.ReadAsStringAsync(), await forKnown.Content.ReadAsStringAsync());
            Assert.Contains("OperationOutcome", await forKnown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Inviting_a_member_twice_into_the_same_project_is_a_conflict()
    {
        var (http, a, _) = await TwoProjectsAsync();
        using (http)
        {
            var email = NewEmail();
            using var first = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, new { email, password = PasswordInA });
            using var again = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, new { email, password = PasswordInA });

            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("OperationOutcome", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_projects_inviting_the_same_new_email_at_once_both_get_201_and_one_user()
    {
        var (http, a, b) = await TwoProjectsAsync();
        using (http)
        {
            var email = NewEmail();

            var answers = await Task.WhenAll(
                AuthClient.PostAsync(http, $"/api/admin/projects/{a.Id}/invite", a.Token, Invitation(email, "a password A chose")),
                AuthClient.PostAsync(http, $"/api/admin/projects/{b.Id}/invite", b.Token, Invitation(email, "a password B chose")));
            var users = new List<string>();
            foreach (var answer in answers)
            {
                using (answer)
                {
                    Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
                    users.Add(JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["user"]!["id"]!.GetValue<string>());
                }
            }

            Assert.Equal(users[0], users[1]);
        }
    }

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient http, string email, string password)
    {
        var verifier = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return await http.PostAsJsonAsync("/api/auth/login", new { email, password, codeChallenge = challenge, codeChallengeMethod = "S256" });
    }

    [Fact]
    public void Invite_answer_serialises_no_global_profile_fields()
    {
        // The global user has no names to leak: they exist only on memberships.
        var user = new Domain.Tenancy.User { Id = "u1", Email = "x@example.org" };

        var json = JsonSerializer.Serialize(user);

        Assert.DoesNotContain("Name", json, StringComparison.OrdinalIgnoreCase);
    }
}
