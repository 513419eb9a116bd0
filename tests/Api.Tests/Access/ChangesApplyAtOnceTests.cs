using System.Net;
using System.Text.Json.Nodes;
using Enclave.Api.Tests.Auth;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Access;

/// <summary>
/// Callers are cached for 30 s, but every change to what a caller may do applies at once on the instance that made
/// it: the very next request (the cache primed by the one before the change) sees the change.
/// </summary>
public sealed class ChangesApplyAtOnceTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task A_policy_update_applies_to_the_next_request()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Policy change");
        await project.PutPolicyAsync("p", """[{"resourceType":"Patient"}]""");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        var token = await project.MemberAsync("member", $"[{PolicyProject.Access("p")}]");
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", token)).Status);

        await project.PutPolicyAsync("p", """[{"resourceType":"Observation"}]""");

        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", token)).Status);
    }

    [Fact]
    public async Task A_membership_update_and_delete_apply_to_the_next_request()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Membership change");
        await project.PutPolicyAsync("patients", """[{"resourceType":"Patient"}]""");
        await project.PutPolicyAsync("observations", """[{"resourceType":"Observation"}]""");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        var (token, membership) = await project.MemberWithMembershipAsync("member", $"[{PolicyProject.Access("patients")}]");
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", token)).Status);

        membership["access"] = JsonNode.Parse($"[{PolicyProject.Access("observations")}]");
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Put, $"ProjectMembership/{membership["id"]}", project.AdminToken, membership.ToJsonString())).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", token)).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await project.CallAsync(HttpMethod.Delete, $"ProjectMembership/{membership["id"]}", project.AdminToken)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await project.CallAsync(HttpMethod.Get, "Observation", token)).Status);
    }

    [Fact]
    public async Task Links_and_exports_apply_to_the_next_request()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var shared = await PolicyProject.CreateAsync(app, http, "Shared");
        var tenant = await PolicyProject.CreateAsync(app, http, "Linking tenant");
        var patient = await shared.CreateAsync("""{"resourceType":"Patient","active":true}""");
        var medication = await shared.CreateAsync("""{"resourceType":"Medication","code":{"text":"aspirin"}}""");
        async Task<HttpStatusCode> AdminAsync(string route, string body)
        {
            using var response = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/admin/projects/{route}", superAdmin, AuthClient.Body(body, "application/json"));
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.NotFound, (await tenant.CallAsync(HttpMethod.Get, $"Patient/{patient}", tenant.AdminToken)).Status);

        Assert.Equal(HttpStatusCode.OK, await AdminAsync($"{tenant.ProjectId}/links", $$"""{"projects":["{{shared.ProjectId}}"]}"""));
        Assert.Equal(HttpStatusCode.OK, (await tenant.CallAsync(HttpMethod.Get, $"Patient/{patient}", tenant.AdminToken)).Status);

        // Exports change on the linked project: the linking project's cached callers are forgotten too.
        Assert.Equal(HttpStatusCode.OK, await AdminAsync($"{shared.ProjectId}/exports", """{"resourceTypes":["Medication"]}"""));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.CallAsync(HttpMethod.Get, $"Patient/{patient}", tenant.AdminToken)).Status);
        Assert.Equal(HttpStatusCode.OK, (await tenant.CallAsync(HttpMethod.Get, $"Medication/{medication}", tenant.AdminToken)).Status);

        Assert.Equal(HttpStatusCode.OK, await AdminAsync($"{shared.ProjectId}/exports", """{"resourceTypes":[]}"""));
        Assert.Equal(HttpStatusCode.OK, (await tenant.CallAsync(HttpMethod.Get, $"Patient/{patient}", tenant.AdminToken)).Status);

        Assert.Equal(HttpStatusCode.OK, await AdminAsync($"{tenant.ProjectId}/links", """{"projects":[]}"""));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.CallAsync(HttpMethod.Get, $"Medication/{medication}", tenant.AdminToken)).Status);
    }
}
