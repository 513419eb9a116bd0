using System.Net;
using System.Text.Json;
using Enclave.Domain.Access;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Access;

/// <summary>
/// Intra-project tenants: <c>meta.accounts</c> (set by admins, auto-tagged by a policy's <c>compartment</c>, inherited
/// from the patient), <c>_compartment</c> criteria, and <c>Patient/{id}/$set-accounts</c> re-propagation.
/// </summary>
public sealed class AccountsTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string TenantPolicy = """
        [{"resourceType":"Patient","criteria":"Patient?_compartment=%organization"},
         {"resourceType":"Observation","criteria":"Observation?_compartment=%organization"}]
        """;

    private static List<string> AccountsOf(JsonElement resource) =>
        resource.TryGetProperty("meta", out var meta) && meta.TryGetProperty("extension", out var extensions)
            ? [.. extensions.EnumerateArray().Where(e => e.GetProperty("url").GetString() == Accounts.ExtensionUrl)
                .Select(e => e.GetProperty("valueReference").GetProperty("reference").GetString()!)]
            : [];

    [Fact]
    public async Task Accounts_are_set_by_admins_auto_tagged_inherited_from_the_patient_and_re_propagated()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Accounts");
        await project.PutPolicyAsync("tenant", TenantPolicy);
        var o1 = $"Organization/{await project.CreateAsync("""{"resourceType":"Organization","name":"One"}""")}";
        var o2 = $"Organization/{await project.CreateAsync("""{"resourceType":"Organization","name":"Two"}""")}";
        using (var policy = await project.SendAsync(HttpMethod.Put, "AccessPolicy/tenant", project.AdminToken,
            $$$"""{"resourceType":"AccessPolicy","id":"tenant","compartment":{"reference":"%organization"},"resource":{{{TenantPolicy}}}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        }

        // An admin sets accounts in Medplum's shape; a resource about the patient inherits them.
        var patient = await project.CreateAsync($$"""{"resourceType":"Patient","meta":{"accounts":[{"reference":"{{o1}}"}]},"gender":"female"}""");
        var observation = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        Assert.Equal([o1], AccountsOf((await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", project.AdminToken)).Body));
        Assert.Equal([o1], AccountsOf((await project.CallAsync(HttpMethod.Get, $"Observation/{observation}", project.AdminToken)).Body));
        Assert.Equal([$"Observation/{observation}"], PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, $"Observation?_compartment={o1}", project.AdminToken)).Body));

        var one = await project.MemberAsync("clinic 1", $"[{PolicyProject.Access("tenant", ("organization", o1))}]");
        var two = await project.MemberAsync("clinic 2", $"[{PolicyProject.Access("tenant", ("organization", o2))}]");
        Assert.Equal([$"Patient/{patient}"], PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Patient", one)).Body));
        Assert.Empty(PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Patient", two)).Body));

        // A member cannot choose accounts: its creates are put in its policy's compartment, its updates keep them.
        var (createdStatus, created) = await project.CallAsync(HttpMethod.Post, "Patient", two,
            $$$"""{"resourceType":"Patient","meta":{"accounts":[{"reference":"{{{o1}}}"}]}}""");
        Assert.Equal(HttpStatusCode.Created, createdStatus);
        Assert.Equal([o2], AccountsOf(created));
        var (updateStatus, _) = await project.CallAsync(HttpMethod.Put, $"Patient/{created.GetProperty("id").GetString()}", two,
            $$"""{"resourceType":"Patient","id":"{{created.GetProperty("id").GetString()}}","meta":{"accounts":[{"reference":"{{o1}}"}]},"active":true}""");
        Assert.Equal(HttpStatusCode.OK, updateStatus);
        Assert.Equal([o2], AccountsOf((await project.CallAsync(HttpMethod.Get, $"Patient/{created.GetProperty("id").GetString()}", project.AdminToken)).Body));
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{created.GetProperty("id").GetString()}", one)).Status);

        // A caregiver organisation's observation about clinic 1's patient lands in both tenants.
        var (sharedStatus, shared) = await project.CallAsync(HttpMethod.Post, "Observation", one,
            $$$"""{"resourceType":"Observation","status":"final","code":{"text":"hr"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        Assert.Equal(HttpStatusCode.Created, sharedStatus);
        Assert.Equal([o1], AccountsOf(shared));

        // The patient moves to clinic 2: $set-accounts re-propagates to everything about the patient.
        var (setStatus, set) = await project.CallAsync(HttpMethod.Post, $"Patient/{patient}/$set-accounts", project.AdminToken,
            $$$"""{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"{{{o2}}}"}}]}""");
        Assert.Equal(HttpStatusCode.OK, setStatus);
        Assert.Equal(3, set.GetProperty("parameter")[0].GetProperty("valueInteger").GetInt32());
        Assert.Empty(PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Observation", one)).Body));
        Assert.Equal(2, PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Observation", two)).Body).Count);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, $"Patient/{patient}/$set-accounts", two,
            """{"resourceType":"Parameters","parameter":[]}""")).Status);
    }

    [Fact]
    public async Task Set_accounts_without_propagation_moves_only_the_patient_and_meta_account_is_read_too()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "No propagation");
        var o1 = $"Organization/{await project.CreateAsync("""{"resourceType":"Organization","name":"One"}""")}";
        var o2 = $"Organization/{await project.CreateAsync("""{"resourceType":"Organization","name":"Two"}""")}";
        var patient = await project.CreateAsync($$"""{"resourceType":"Patient","meta":{"account":{"reference":"{{o1}}"} } }""");
        var observation = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patient}}}"}}""");

        var (status, set) = await project.CallAsync(HttpMethod.Post, $"Patient/{patient}/$set-accounts", project.AdminToken,
            $$$"""{"resourceType":"Parameters","parameter":[{"name":"accounts","valueReference":{"reference":"{{{o2}}}"}},{"name":"propagate","valueBoolean":false}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, set.GetProperty("parameter")[0].GetProperty("valueInteger").GetInt32());
        Assert.Equal([o2], AccountsOf((await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", project.AdminToken)).Body));
        Assert.Equal([o1], AccountsOf((await project.CallAsync(HttpMethod.Get, $"Observation/{observation}", project.AdminToken)).Body));
    }

    [Fact]
    public async Task A_project_can_turn_inheritance_off()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "No inheritance");
        var (_, stored) = await project.CallAsync(HttpMethod.Get, $"Project/{project.ProjectId}", project.AdminToken);
        var (status, _) = await project.CallAsync(HttpMethod.Put, $"Project/{project.ProjectId}", project.AdminToken,
            $$"""{"resourceType":"Project","id":"{{project.ProjectId}}","name":"{{stored.GetProperty("name").GetString()}}","setting":[{"name":"inheritAccounts","valueBoolean":false}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var org = await project.CreateAsync("""{"resourceType":"Organization","name":"One"}""");
        var patient = await project.CreateAsync($$$"""{"resourceType":"Patient","meta":{"accounts":[{"reference":"Organization/{{{org}}}"}]}}""");
        var observation = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patient}}}"}}""");

        Assert.Empty(AccountsOf((await project.CallAsync(HttpMethod.Get, $"Observation/{observation}", project.AdminToken)).Body));
    }
}
