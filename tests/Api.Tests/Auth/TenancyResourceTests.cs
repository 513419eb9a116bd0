using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Enclave.Api.Tests.Auth;

/// <summary>Tenancy resources under the FHIR base: visible to their project's admins only, never with secrets.</summary>
public sealed class TenancyResourceTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private sealed record Setup(HttpClient Http, string ProjectId, string AdminToken, string ClientId, string OtherAdminToken, string UserId, string UserMembershipId, string WorkerToken);

    private async Task<Setup> SetupAsync()
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Tenancy");
        var other = await AuthClient.CreateProjectAsync(http, superAdmin, "Other");
        var admin = await AuthClient.TokenAsync(http, project.ClientId, project.Secret);
        using var invited = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/invite", admin,
            new { email = $"{Guid.NewGuid():N}@example.org", password = "a long enough password", profile = new { reference = "Practitioner/p1" } });
        var invitation = JsonDocument.Parse(await invited.Content.ReadAsStringAsync()).RootElement;
        using var worker = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/client", admin, new { name = "worker" });
        var workerClient = JsonDocument.Parse(await worker.Content.ReadAsStringAsync()).RootElement.GetProperty("client");
        return new Setup(http, project.ProjectId, admin, project.ClientId, await AuthClient.TokenAsync(http, other.ClientId, other.Secret),
            invitation.GetProperty("user").GetProperty("id").GetString()!, invitation.GetProperty("membership").GetProperty("id").GetString()!,
            await AuthClient.TokenAsync(http, workerClient.GetProperty("id").GetString()!, workerClient.GetProperty("secret").GetString()!));
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, string token, object? body = null)
    {
        using var response = await AuthClient.SendAsync(http, method, path, token, body is null ? null : JsonContent.Create(body));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Admins_read_their_own_tenancy_resources_and_nothing_of_another_project()
    {
        var s = await SetupAsync();
        using (s.Http)
        {
            var project = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/Project/{s.ProjectId}", s.AdminToken);
            var client = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/ClientApplication/{s.ClientId}", s.AdminToken);
            var user = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/User/{s.UserId}", s.AdminToken);

            Assert.Equal(HttpStatusCode.OK, project.Status);
            Assert.Equal(HttpStatusCode.OK, client.Status);
            Assert.Equal(HttpStatusCode.OK, user.Status);
            Assert.DoesNotContain("secret", client.Body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("password", user.Body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("pbkdf2", user.Body, StringComparison.OrdinalIgnoreCase);

            foreach (var path in new[] { $"Project/{s.ProjectId}", $"ClientApplication/{s.ClientId}", $"User/{s.UserId}", $"ProjectMembership/{s.UserMembershipId}" })
            {
                Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/{path}", s.OtherAdminToken)).Status);
                Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/{path}", s.WorkerToken)).Status);
            }
        }
    }

    [Fact]
    public async Task Memberships_are_searched_by_user_and_profile_and_updated_without_moving_them()
    {
        var s = await SetupAsync();
        using (s.Http)
        {
            var byUser = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/ProjectMembership?user=User/{s.UserId}", s.AdminToken);
            var byProfile = await SendAsync(s.Http, HttpMethod.Get, "/api/fhir/R4/ProjectMembership?profile=Practitioner/p1", s.AdminToken);
            var all = await SendAsync(s.Http, HttpMethod.Get, "/api/fhir/R4/ProjectMembership", s.AdminToken);
            var membership = JsonSerializer.Deserialize<JsonElement>((await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/ProjectMembership/{s.UserMembershipId}", s.AdminToken)).Body);
            var update = new
            {
                resourceType = "ProjectMembership",
                id = s.UserMembershipId,
                project = membership.GetProperty("project"),
                user = membership.GetProperty("user"),
                profile = membership.GetProperty("profile"),
                admin = true,
                access = new[] { new { policy = new { reference = "AccessPolicy/clinic" }, parameter = new[] { new { name = "organization", valueReference = new { reference = "Organization/o1" } } } } },
            };
            var updated = await SendAsync(s.Http, HttpMethod.Put, $"/api/fhir/R4/ProjectMembership/{s.UserMembershipId}", s.AdminToken, update);
            var again = await SendAsync(s.Http, HttpMethod.Put, $"/api/fhir/R4/ProjectMembership/{s.UserMembershipId}", s.AdminToken,
                update with { });
            var movedUser = await SendAsync(s.Http, HttpMethod.Put, $"/api/fhir/R4/ProjectMembership/{s.UserMembershipId}", s.AdminToken,
                new { update.resourceType, update.id, update.project, user = new { reference = "User/someone-else" }, update.admin });

            Assert.Equal(1, JsonDocument.Parse(byUser.Body).RootElement.GetProperty("total").GetInt32());
            Assert.Equal(1, JsonDocument.Parse(byProfile.Body).RootElement.GetProperty("total").GetInt32());
            Assert.Equal(3, JsonDocument.Parse(all.Body).RootElement.GetProperty("total").GetInt32());
            Assert.Equal(HttpStatusCode.OK, updated.Status);
            Assert.True(JsonDocument.Parse(updated.Body).RootElement.GetProperty("admin").GetBoolean());
            Assert.Contains("Organization/o1", updated.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, again.Status);
            Assert.Equal(HttpStatusCode.BadRequest, movedUser.Status);
        }
    }

    [Fact]
    public async Task Access_policies_are_stored_per_project()
    {
        var s = await SetupAsync();
        using (s.Http)
        {
            var policy = new { resourceType = "AccessPolicy", name = "Clinic", resource = new[] { new { resourceType = "Patient", criteria = "Patient?_compartment=%organization" } } };
            var created = await SendAsync(s.Http, HttpMethod.Post, "/api/fhir/R4/AccessPolicy", s.AdminToken, policy);
            var id = JsonDocument.Parse(created.Body).RootElement.GetProperty("id").GetString()!;
            var replaced = await SendAsync(s.Http, HttpMethod.Put, $"/api/fhir/R4/AccessPolicy/{id}", s.AdminToken, policy with { name = "Clinic v2" });
            var read = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/AccessPolicy/{id}", s.AdminToken);
            var foreign = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/AccessPolicy/{id}", s.OtherAdminToken);
            var invalid = await SendAsync(s.Http, HttpMethod.Post, "/api/fhir/R4/AccessPolicy", s.AdminToken, new { resourceType = "Patient" });
            var byWorker = await SendAsync(s.Http, HttpMethod.Post, "/api/fhir/R4/AccessPolicy", s.WorkerToken, policy);
            var unenforceable = await SendAsync(s.Http, HttpMethod.Put, $"/api/fhir/R4/AccessPolicy/{id}", s.AdminToken,
                policy with { resource = [policy.resource[0], new { resourceType = "Observation", criteria = "Observation?colour=blue" }] });
            var stillThere = await SendAsync(s.Http, HttpMethod.Get, $"/api/fhir/R4/AccessPolicy/{id}", s.AdminToken);

            Assert.Equal(HttpStatusCode.Created, created.Status);
            Assert.Equal(HttpStatusCode.OK, replaced.Status);
            Assert.Contains("Clinic v2", read.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, foreign.Status);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
            Assert.Equal(HttpStatusCode.Forbidden, byWorker.Status);
            Assert.Equal(HttpStatusCode.BadRequest, unenforceable.Status);
            Assert.Contains("AccessPolicy.resource[1]", unenforceable.Body, StringComparison.Ordinal);
            Assert.Contains("colour", unenforceable.Body, StringComparison.Ordinal);
            Assert.Contains("Clinic v2", stillThere.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("colour", stillThere.Body, StringComparison.Ordinal);
        }
    }
}
