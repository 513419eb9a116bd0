using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Enclave.Api.Tests.Access;
using Enclave.Api.Tests.Auth;
using Enclave.Api.Tests.Export;
using Enclave.Storage.Blobs;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Lifecycle;

/// <summary>
/// Deleting a project: a request, a confirmation with the request's token, then a job; afterwards the project's
/// partition holds no document, its clients and users' memberships have no index document left, it has no blob, its
/// tokens and clients are refused — and another project is unchanged, by count and by content hash.
/// </summary>
public sealed class ProjectDeletionTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private Container Container => app.Services.GetRequiredService<Container>();

    [Fact]
    public async Task A_confirmed_deletion_leaves_nothing_of_the_project_and_touches_no_other()
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var doomed = await PolicyProject.CreateAsync(app, http, "Doomed");
        var other = await PolicyProject.CreateAsync(app, http, "Bystander");
        foreach (var project in new[] { doomed, other })
        {
            var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
            await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
            using (await project.SendAsync(HttpMethod.Put, $"Patient/{patient}", project.AdminToken, $$"""{"resourceType":"Patient","id":"{{patient}}","active":false}"""))
            {
            }

            await project.PutPolicyAsync("patients", """[{"resourceType":"Patient"}]""");
        }

        var member = await doomed.MemberWithMembershipAsync("Member", "[" + PolicyProject.Access("patients") + "]");
        var user = await doomed.UserAsync("[" + PolicyProject.Access("patients") + "]", "Practitioner/p1");
        await ExportApi.ExportAsync(doomed.Http, doomed.AdminToken, "$export");
        Assert.True(await BlobCountAsync(doomed.ProjectId) > 0);
        var clients = await IdentitiesAsync(doomed.ProjectId, "ClientApplication");
        var users = (await IdentitiesAsync(doomed.ProjectId, "ProjectMembership")).Where(u => u.User?.StartsWith("User/", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(users);
        var before = await SnapshotAsync(other.ProjectId);

        using var requested = await AuthClient.PostAsync(http, $"/api/admin/projects/{doomed.ProjectId}/$delete", superAdmin, new { });
        Assert.Equal(HttpStatusCode.OK, requested.StatusCode);
        var token = JsonDocument.Parse(await requested.Content.ReadAsStringAsync()).RootElement.GetProperty("confirm").GetString()!;
        using var wrong = await AuthClient.PostAsync(http, $"/api/admin/projects/{doomed.ProjectId}/$delete", superAdmin, new { confirm = "not-the-token" });
        using var byAdmin = await AuthClient.PostAsync(http, $"/api/admin/projects/{doomed.ProjectId}/$delete", doomed.AdminToken, new { confirm = token });
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await doomed.CallAsync(HttpMethod.Get, "Patient", doomed.AdminToken)).Status); // nothing happened yet

        using var confirmed = await AuthClient.PostAsync(http, $"/api/admin/projects/{doomed.ProjectId}/$delete", superAdmin, new { confirm = token });
        Assert.Equal(HttpStatusCode.Accepted, confirmed.StatusCode);
        for (var i = 0; ; i++)
        {
            using var status = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/admin/projects/{doomed.ProjectId}/$delete", superAdmin);
            if (status.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.Accepted, status.StatusCode);
            Assert.True(i < 300, "The deletion did not complete.");
            await Task.Delay(100);
        }

        Assert.Equal(0, await CountAsync(doomed.ProjectId));
        Assert.Equal(0, await BlobCountAsync(doomed.ProjectId));
        foreach (var client in clients)
        {
            using var index = await Container.ReadItemStreamAsync("client", new PartitionKey($"client/{client.Id}"));
            Assert.Equal(HttpStatusCode.NotFound, index.StatusCode);
        }

        foreach (var membership in users)
        {
            using var index = await Container.ReadItemStreamAsync($"membership:{doomed.ProjectId}:{membership.Id}", new PartitionKey($"user/{membership.User!["User/".Length..]}"));
            Assert.Equal(HttpStatusCode.NotFound, index.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)); // past any cached caller of another instance's kind: none here, but the token must fail on its own
        Assert.Equal(HttpStatusCode.Unauthorized, (await doomed.CallAsync(HttpMethod.Get, "Patient", doomed.AdminToken)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await doomed.CallAsync(HttpMethod.Get, "Patient", member.Token)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await doomed.CallAsync(HttpMethod.Get, "Patient", user)).Status);
        Assert.Equal(before, await SnapshotAsync(other.ProjectId));
        Assert.Equal(HttpStatusCode.OK, (await other.CallAsync(HttpMethod.Get, "Patient", other.AdminToken)).Status);
    }

    [Fact]
    public async Task The_system_project_cannot_be_deleted_and_a_project_admin_cannot_delete_their_own()
    {
        var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var project = await PolicyProject.CreateAsync(app, http, "Kept");
        var system = (await IdentitiesAsync(null, "Project")).Single(p => p.SuperAdmin).Id;

        using var own = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/$delete", project.AdminToken, new { });
        using var systemProject = await AuthClient.PostAsync(http, $"/api/admin/projects/{system}/$delete", superAdmin, new { });
        using var unknown = await AuthClient.PostAsync(http, "/api/admin/projects/no-such-project/$delete", superAdmin, new { });

        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, systemProject.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private sealed record Identity(string Id, string? User, bool SuperAdmin);

    private async Task<List<Identity>> IdentitiesAsync(string? projectId, string type)
    {
        var query = new QueryDefinition("SELECT c.resource.id AS id, c.user, c.resource.superAdmin FROM c WHERE c.kind = 'tenancy' AND c.resourceType = @type"
            + (projectId is null ? string.Empty : " AND c.projectId = @p")).WithParameter("@type", type).WithParameter("@p", projectId);
        var found = new List<Identity>();
        using var iterator = Container.GetItemQueryStreamIterator(query);
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            using var body = await JsonDocument.ParseAsync(page.Content);
            found.AddRange(body.RootElement.GetProperty("Documents").EnumerateArray().Select(e => new Identity(e.GetProperty("id").GetString()!,
                e.TryGetProperty("user", out var u) ? u.GetString() : null, e.TryGetProperty("superAdmin", out var s) && s.GetBoolean())));
        }

        return found;
    }

    private async Task<int> CountAsync(string projectId)
    {
        using var iterator = Container.GetItemQueryIterator<int>(new QueryDefinition("SELECT VALUE COUNT(1) FROM c WHERE c.projectId = @p").WithParameter("@p", projectId));
        return (await iterator.ReadNextAsync()).Single();
    }

    /// <summary>
    /// The project's documents but its audit trail (which its sealer may still be chaining) and its usage records (which the
    /// meter's flusher keeps writing for the project's earlier requests), each by id and content hash; and how many audit documents it has.
    /// </summary>
    private async Task<(int Audit, string Documents)> SnapshotAsync(string projectId)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.projectId = @p").WithParameter("@p", projectId);
        var (audit, documents) = (0, new List<string>());
        using var iterator = Container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(projectId) });
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            using var body = await JsonDocument.ParseAsync(page.Content);
            foreach (var document in body.RootElement.GetProperty("Documents").EnumerateArray())
            {
                var kind = document.GetProperty("kind").GetString();
                if (kind is "audit" or "audit-head")
                {
                    audit++;
                    continue;
                }

                if (kind is "usage" or "usage-storage")
                {
                    continue;
                }

                documents.Add($"{document.GetProperty("id").GetString()} {document.GetProperty("_etag").GetString()}");
            }
        }

        return (audit, Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', documents.Order(StringComparer.Ordinal))))));
    }

    private async Task<int> BlobCountAsync(string projectId)
    {
        var count = 0;
        await foreach (var _ in app.Services.GetRequiredService<AzureStorageClients>().ExportContainer.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{projectId}/", default))
        {
            count++;
        }

        return count;
    }
}
