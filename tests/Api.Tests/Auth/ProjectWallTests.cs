using System.Net;
using Enclave.Domain.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Auth;

/// <summary>Tokens act in their own project only; admin routes answer 403 to everyone else.</summary>
public sealed class ProjectWallTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task A_project_admin_acts_in_its_own_project_and_never_in_another()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var a = await AuthClient.CreateProjectAsync(http, superAdmin, "Clinic A");
        var b = await AuthClient.CreateProjectAsync(http, superAdmin, "Clinic B");
        var adminOfA = await AuthClient.TokenAsync(http, a.ClientId, a.Secret);

        using var inA = await AuthClient.PostAsync(http, $"/api/admin/projects/{a.ProjectId}/client", adminOfA, new { name = "app" });
        using var inB = await AuthClient.PostAsync(http, $"/api/admin/projects/{b.ProjectId}/client", adminOfA, new { name = "intruder" });
        using var newProject = await AuthClient.PostAsync(http, "/api/admin/projects", adminOfA, new { name = "escape" });

        Assert.Equal(HttpStatusCode.Created, inA.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, inB.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, newProject.StatusCode);
    }

    [Fact]
    public async Task A_non_admin_client_gets_403_on_every_admin_route()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Clinic C");
        var admin = await AuthClient.TokenAsync(http, project.ClientId, project.Secret);
        using var created = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/client", admin, new { name = "worker" });
        using var body = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var worker = body.RootElement.GetProperty("client");
        var workerToken = await AuthClient.TokenAsync(http, worker.GetProperty("id").GetString()!, worker.GetProperty("secret").GetString()!);

        using var createProject = await AuthClient.PostAsync(http, "/api/admin/projects", workerToken, new { name = "x" });
        using var createClient = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/client", workerToken, new { name = "x" });
        using var invite = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/invite", workerToken,
            new { email = "someone@example.org", password = "a long enough password" });
        using var rotate = await AuthClient.PostAsync(http, $"/api/fhir/R4/ClientApplication/{project.ClientId}/$rotate-secret", workerToken, new { });

        Assert.Equal(HttpStatusCode.Forbidden, createProject.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, createClient.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, invite.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, rotate.StatusCode);
        Assert.Contains("\"forbidden\"", await createClient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_secret_is_shown_once_and_stored_only_as_a_hash()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);

        var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Clinic D");
        var stored = await app.Services.GetRequiredService<ITenancyStore>().FindClientAsync(project.ClientId, CancellationToken.None);

        Assert.Equal(43, project.Secret.Length);
        Assert.NotNull(stored);
        Assert.DoesNotContain(project.Secret, stored!.SecretHash, StringComparison.Ordinal);
        Assert.True(stored.Accepts(project.Secret, DateTimeOffset.UtcNow));
        Assert.False(stored.Accepts(project.Secret + "x", DateTimeOffset.UtcNow));
    }
}
