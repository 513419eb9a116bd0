using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Enclave.Functions.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Enclave.Api.Tests.Auth;

/// <summary>
/// The token endpoint and the user login are throttled per client id or email, per address and per pair: 429 with
/// <c>Retry-After</c>, and a lockout that an attacker cannot turn against the victim's own address.
/// </summary>
public sealed class SignInThrottleTests(ThrottledApiFixture app) : IClassFixture<ThrottledApiFixture>
{
    private static int s_next;

    /// <summary>A documentation address (RFC 5737) no other test uses.</summary>
    private static string NewAddress() => $"203.0.113.{Interlocked.Increment(ref s_next)}";

    private static async Task<HttpResponseMessage> TokenFromAsync(HttpClient http, string address, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/oauth2/token", UriKind.Relative))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret }),
        };
        request.Headers.Add("X-Forwarded-For", address);
        return await http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> LoginFromAsync(HttpClient http, string address, string email, string password)
    {
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N")))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/auth/login", UriKind.Relative))
        {
            Content = JsonContent.Create(new { email, password, codeChallenge = challenge, codeChallengeMethod = "S256" }),
        };
        request.Headers.Add("X-Forwarded-For", address);
        return await http.SendAsync(request);
    }

    private static void AssertThrottled(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "Retry-After in seconds");
    }

    [Fact]
    public async Task A_client_id_hammered_from_one_address_gets_429_there_and_still_gets_tokens_from_another()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var client = await AuthClient.CreateProjectAsync(http, superAdmin, "Throttled client");
        var (attacker, owner) = (NewAddress(), NewAddress());

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await TokenFromAsync(http, attacker, client.ClientId, "guessed secret");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttled = await TokenFromAsync(http, attacker, client.ClientId, "guessed secret");
        using var rightFromAttacker = await TokenFromAsync(http, attacker, client.ClientId, client.Secret);
        using var fromOwner = await TokenFromAsync(http, owner, client.ClientId, client.Secret);

        AssertThrottled(throttled);
        using var error = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync());
        Assert.Equal("slow_down", error.RootElement.GetProperty("error").GetString());
        Assert.True(error.RootElement.TryGetProperty("error_description", out _));
        AssertThrottled(rightFromAttacker);
        Assert.Equal(HttpStatusCode.OK, fromOwner.StatusCode);

        app.Clock.Advance(TimeSpan.FromSeconds(throttled.Headers.RetryAfter!.Delta!.Value.TotalSeconds));
        using var afterWaiting = await TokenFromAsync(http, attacker, client.ClientId, client.Secret);
        Assert.Equal(HttpStatusCode.OK, afterWaiting.StatusCode);
    }

    [Fact]
    public async Task An_address_that_fails_for_many_client_ids_gets_429_for_every_client_and_others_do_not()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var client = await AuthClient.CreateProjectAsync(http, superAdmin, "Sprayed");
        var (sprayer, other) = (NewAddress(), NewAddress());

        // Six failures weigh 60, the address's whole budget; each client id failed only once.
        for (var i = 0; i < 6; i++)
        {
            using var wrong = await TokenFromAsync(http, sprayer, Guid.NewGuid().ToString("N"), "guessed secret");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var rightFromSprayer = await TokenFromAsync(http, sprayer, client.ClientId, client.Secret);
        using var rightFromOther = await TokenFromAsync(http, other, client.ClientId, client.Secret);

        AssertThrottled(rightFromSprayer);
        Assert.Equal(HttpStatusCode.OK, rightFromOther.StatusCode);
    }

    [Fact]
    public async Task An_attacker_hammering_a_victims_email_is_locked_out_while_the_victim_signs_in_from_their_own_address()
    {
        using var http = app.CreateClient();
        var (projectId, admin) = await AuthClient.NewProjectTokenAsync(http, app, "Victim's practice");
        var victim = $"{Guid.NewGuid():N}@example.org";
        const string Password = "the victim's own password";
        using (var invited = await AuthClient.PostAsync(http, $"/api/admin/projects/{projectId}/invite", admin, new { email = victim, password = Password }))
        {
            Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        }

        var (attacker, home) = (NewAddress(), NewAddress());
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await LoginFromAsync(http, attacker, victim.ToUpperInvariant(), $"guess number {i} of many");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        using var locked = await LoginFromAsync(http, attacker, victim, "yet another guess here");
        using var rightFromAttacker = await LoginFromAsync(http, attacker, victim, Password);
        using var victimAtHome = await LoginFromAsync(http, home, victim, Password);

        AssertThrottled(locked);
        var outcome = await locked.Content.ReadAsStringAsync();
        Assert.Contains("\"resourceType\":\"OperationOutcome\"", outcome, StringComparison.Ordinal);
        Assert.Contains("\"throttled\"", outcome, StringComparison.Ordinal);
        AssertThrottled(rightFromAttacker);
        Assert.Equal(HttpStatusCode.OK, victimAtHome.StatusCode);
        using var signedIn = JsonDocument.Parse(await victimAtHome.Content.ReadAsStringAsync());
        Assert.True(signedIn.RootElement.TryGetProperty("code", out _));
    }

    private static SignInThrottle Throttle(FakeTimeProvider clock, Action<ThrottleOptions>? change = null)
    {
        var options = new ThrottleOptions { FailuresPerIdentityAndAddress = 3, FailuresPerIdentityBeforeSlowDown = 5, AttemptsPerAddress = 1000, MaxEntries = 1000 };
        change?.Invoke(options);
        return new SignInThrottle(Options.Create(options), clock);
    }

    [Fact]
    public void Failures_of_one_email_from_many_addresses_only_slow_it_by_the_bounded_delay_and_never_refuse_it()
    {
        var clock = new FakeTimeProvider();
        var throttle = Throttle(clock);
        for (var i = 1; i <= 20; i++)
        {
            throttle.Record("email:victim@example.org", IPAddress.Parse($"198.51.100.{i}"), succeeded: false);
        }

        var fromHome = throttle.Check("email:victim@example.org", IPAddress.Parse("192.0.2.1"));
        var fromAnAttacker = throttle.Check("email:victim@example.org", IPAddress.Parse("198.51.100.1"));

        Assert.Null(fromHome.RetryAfter);
        Assert.Equal(new ThrottleOptions().SlowDownDelay, fromHome.Delay);
        Assert.Null(fromAnAttacker.RetryAfter);
    }

    [Fact]
    public void A_locked_pair_drains_to_one_attempt_per_window_share()
    {
        var clock = new FakeTimeProvider();
        var throttle = Throttle(clock);
        var address = IPAddress.Parse("198.51.100.1");
        for (var i = 0; i < 3; i++)
        {
            throttle.Record("client:c1", address, succeeded: false);
        }

        var locked = throttle.Check("client:c1", address);
        clock.Advance(locked.RetryAfter!.Value);
        var freed = throttle.Check("client:c1", address);
        throttle.Record("client:c1", address, succeeded: false);
        var again = throttle.Check("client:c1", address);

        Assert.NotNull(locked.RetryAfter);
        Assert.Null(freed.RetryAfter);
        // Three per ten minutes: one more attempt every 200 seconds.
        Assert.InRange(again.RetryAfter!.Value.TotalSeconds, 190, 201);
    }

    [Fact]
    public void The_throttle_keeps_at_most_its_maximum_number_of_counters()
    {
        var clock = new FakeTimeProvider();
        var throttle = Throttle(clock);
        for (var i = 0; i < 5000; i++)
        {
            throttle.Record($"email:{i}@example.org", new IPAddress(i + 1), succeeded: false);
        }

        for (var i = 0; i < 3; i++)
        {
            throttle.Record("email:after-the-flood@example.org", IPAddress.Loopback, succeeded: false);
        }

        Assert.InRange(throttle.Count, 1, 1000);
        // Eviction makes room without losing what is being counted now.
        Assert.NotNull(throttle.Check("email:after-the-flood@example.org", IPAddress.Loopback).RetryAfter);
    }

    [Fact]
    public void Concurrent_attempts_on_the_same_keys_keep_an_exact_count()
    {
        var throttle = Throttle(new FakeTimeProvider(), o => o.FailuresPerIdentityAndAddress = 10_000);
        var addresses = new[] { IPAddress.Parse("198.51.100.1"), IPAddress.Parse("198.51.100.2") };

        Parallel.For(0, 20_000, i =>
        {
            var identity = $"email:{i % 3}@example.org";
            _ = throttle.Check(identity, addresses[i % 2]);
            throttle.Record(identity, addresses[i % 2], succeeded: i % 5 == 0);
        });

        // 2 addresses, 6 pairs, 3 success and 3 failure counters at most; pairs come and go as successes clear them.
        Assert.InRange(throttle.Count, 8, 14);
    }

    [Theory]
    [InlineData("Auth:Throttle:AttemptsPerAddress", "5")]
    [InlineData("Auth:Throttle:SlowDownDelay", "00:01:00")]
    [InlineData("Auth:Throttle:Window", "00:00:00")]
    public void Invalid_throttle_settings_stop_the_app_at_start(string key, string value)
    {
        // The app's own registration (ValidateOnStart runs these validators at start-up); starting a whole host that
        // fails was flaky (a hosted service could see the disposed provider first and hide the validation message).
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        using var services = new ServiceCollection().AddEnclaveAuth(configuration).BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ThrottleOptions>>().Value);

        Assert.Contains(key.Split(':')[^1], failure.Message, StringComparison.Ordinal);
    }
}
