using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Enclave.Api.Tests.Auth;

/// <summary>The app with a clock the test moves.</summary>
public sealed class FakeClockApiFixture : EnclaveApiFixture
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>Rotated secrets retire, removed memberships stop working, and other projects' tenancy resources stay invisible.</summary>
public sealed class RevocationTests(FakeClockApiFixture app) : IClassFixture<FakeClockApiFixture>
{
    private async Task<(HttpClient Http, string ProjectId, string AdminClient, string AdminSecret, string AdminToken)> NewProjectAsync(string name)
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var project = await AuthClient.CreateProjectAsync(http, superAdmin, name);
        return (http, project.ProjectId, project.ClientId, project.Secret, await AuthClient.TokenAsync(http, project.ClientId, project.Secret));
    }

    private static async Task<JsonElement> JsonOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task A_rotated_secret_keeps_working_until_its_retirement_then_stops()
    {
        var (http, _, client, oldSecret, token) = await NewProjectAsync("Rotation");
        using (http)
        {
            using var rotated = await AuthClient.PostAsync(http, $"/api/fhir/R4/ClientApplication/{client}/$rotate-secret", token, new { });
            var newSecret = (await JsonOf(rotated)).GetProperty("secret").GetString()!;

            using var oldBefore = await AuthClient.RequestTokenAsync(http, client, oldSecret);
            using var newBefore = await AuthClient.RequestTokenAsync(http, client, newSecret);
            app.Clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
            using var oldAfter = await AuthClient.RequestTokenAsync(http, client, oldSecret);
            using var newAfter = await AuthClient.RequestTokenAsync(http, client, newSecret);

            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
            Assert.NotEqual(oldSecret, newSecret);
            Assert.Equal(HttpStatusCode.OK, oldBefore.StatusCode);
            Assert.Equal(HttpStatusCode.OK, newBefore.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, oldAfter.StatusCode);
            Assert.Equal(HttpStatusCode.OK, newAfter.StatusCode);
        }
    }

    [Fact]
    public async Task A_removed_membership_stops_working_within_60_seconds()
    {
        var (http, projectId, _, _, adminToken) = await NewProjectAsync("Removal");
        using (http)
        {
            using var created = await AuthClient.PostAsync(http, $"/api/admin/projects/{projectId}/client", adminToken, new { name = "worker" });
            var body = await JsonOf(created);
            var (workerId, workerSecret) = (body.GetProperty("client").GetProperty("id").GetString()!, body.GetProperty("client").GetProperty("secret").GetString()!);
            var membershipId = body.GetProperty("membership").GetProperty("id").GetString()!;
            var workerToken = await AuthClient.TokenAsync(http, workerId, workerSecret);
            using var before = await AuthClient.PostAsync(http, "/api/admin/projects", workerToken, new { name = "x" });

            using var deleted = await AuthClient.SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/ProjectMembership/{membershipId}", adminToken);
            app.Clock.Advance(TimeSpan.FromSeconds(60));
            using var after = await AuthClient.PostAsync(http, "/api/admin/projects", workerToken, new { name = "x" });
            using var newToken = await AuthClient.RequestTokenAsync(http, workerId, workerSecret);

            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode); // authenticated, merely not allowed
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, newToken.StatusCode);
        }
    }

    [Fact]
    public async Task Another_projects_memberships_and_clients_are_indistinguishable_from_missing_ones()
    {
        var (http, _, clientA, _, tokenA) = await NewProjectAsync("Wall A");
        var (httpB, _, _, _, tokenB) = await NewProjectAsync("Wall B");
        using (http)
        using (httpB)
        {
            using var ownRotate = await AuthClient.PostAsync(http, $"/api/fhir/R4/ClientApplication/{clientA}/$rotate-secret", tokenA, new { });
            using var foreignRotate = await AuthClient.PostAsync(http, $"/api/fhir/R4/ClientApplication/{clientA}/$rotate-secret", tokenB, new { });
            var membershipOfA = (await app.Services.GetRequiredService<Enclave.Domain.Tenancy.ITenancyStore>().FindClientAsync(clientA, CancellationToken.None))!.MembershipId;
            using var foreignRead = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/ProjectMembership/{membershipOfA}", tokenB);
            using var missingRead = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/ProjectMembership/{Guid.NewGuid():N}", tokenB);

            Assert.Equal(HttpStatusCode.OK, ownRotate.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, foreignRotate.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, foreignRead.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, missingRead.StatusCode);
        }
    }

    [Fact]
    public async Task No_secret_ever_reaches_a_log_line()
    {
        var (http, _, client, secret, token) = await NewProjectAsync("Logs");
        using (http)
        {
            using var rotated = await AuthClient.PostAsync(http, $"/api/fhir/R4/ClientApplication/{client}/$rotate-secret", token, new { });
            var newSecret = (await JsonOf(rotated)).GetProperty("secret").GetString()!;
            using var bad = await AuthClient.RequestTokenAsync(http, client, "wrong-" + newSecret);

            var logs = string.Join("\n", app.Logs.Lines);
            Assert.NotEmpty(app.Logs.Lines);
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(newSecret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(app.SuperAdmin.Secret, logs, StringComparison.Ordinal);
            Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
        }
    }
}
