using System.Text.Json.Nodes;
using Enclave.Api.Tests.Access;
using Enclave.Api.Tests.Auth;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Hostile;

/// <summary>
/// Two projects seeded once for the hostile corpus. Project A is the attacker's: an admin, a member restricted by a
/// policy (Patient read-only, <c>birthDate</c> hidden), a patient and an observation. Project B is the victim: its
/// resources carry <see cref="MarkerB"/>, which must never appear in an answer to A.
/// </summary>
public sealed class HostileFixture : EnclaveApiFixture, IAsyncLifetime
{
    /// <summary>Text only project B's data holds.</summary>
    public string MarkerB { get; } = $"MARKERB{Guid.NewGuid():N}";

    public string ProjectA { get; private set; } = "";

    public string ProjectB { get; private set; } = "";

    public string AdminA { get; private set; } = "";

    public string MemberA { get; private set; } = "";

    public string MembershipA { get; private set; } = "";

    public string PatientA { get; private set; } = "";

    public string ObservationA { get; private set; } = "";

    public string PatientB { get; private set; } = "";

    public string OrganizationB { get; private set; } = "";

    public string ClientB { get; private set; } = "";

    /// <summary>The seeded resources of A whose versions must not change, as <c>Type/id</c>.</summary>
    public IReadOnlyList<string> SeededA => [$"Patient/{PatientA}", $"Observation/{ObservationA}"];

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        using var http = CreateClient();
        var a = await PolicyProject.CreateAsync(this, http, "Attacker");
        var superAdmin = await AuthClient.TokenAsync(http, SuperAdmin.Id, SuperAdmin.Secret);
        var b = await AuthClient.CreateProjectAsync(http, superAdmin, $"Victim {MarkerB}");
        var bToken = await AuthClient.TokenAsync(http, b.ClientId, b.Secret);
        var victim = new PolicyProject(http, b.ProjectId, bToken);
        (ProjectA, ProjectB, AdminA, ClientB) = (a.ProjectId, b.ProjectId, a.AdminToken, b.ClientId);

        OrganizationB = await victim.CreateAsync($$"""{"resourceType":"Organization","name":"{{MarkerB}} clinic"}""");
        PatientB = await victim.CreateAsync($$$"""{"resourceType":"Patient","name":[{"family":"{{{MarkerB}}}"}],"managingOrganization":{"reference":"Organization/{{{OrganizationB}}}"}}""");
        await victim.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"{{{MarkerB}}}"},"subject":{"reference":"Patient/{{{PatientB}}}"}}""");

        PatientA = await a.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Attacker"}],"birthDate":"1970-01-01","identifier":[{"system":"urn:mrn","value":"a1"}]}""");
        ObservationA = await a.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"a"},"subject":{"reference":"Patient/{{{PatientA}}}"},"valueQuantity":{"value":137,"unit":"mmHg"}}""");
        await a.PutPolicyAsync("readonly", """[{"resourceType":"Patient","readonly":true,"hiddenFields":["birthDate"]}]""");
        MemberA = await a.MemberAsync("Restricted member", "[" + PolicyProject.Access("readonly") + "]");
        using var memberships = await a.SendAsync(HttpMethod.Get, "ProjectMembership", a.AdminToken);
        MembershipA = (string)JsonNode.Parse(await memberships.Content.ReadAsStringAsync())!["entry"]![0]!["resource"]!["id"]!;
    }

    /// <summary>Every document in the container but the audit trail's and the usage counts', all partitions: any write shows here (every request is audited and metered).</summary>
    public async Task<int> DocumentCountAsync()
    {
        var container = Services.GetRequiredService<Container>();
        using var query = container.GetItemQueryIterator<int>("SELECT VALUE COUNT(1) FROM c WHERE NOT IS_DEFINED(c.kind) OR (c.kind != 'audit' AND c.kind != 'audit-head' AND c.kind != 'usage' AND c.kind != 'usage-storage')");
        var total = 0;
        while (query.HasMoreResults)
        {
            total += (await query.ReadNextAsync()).Sum();
        }

        return total;
    }
}
