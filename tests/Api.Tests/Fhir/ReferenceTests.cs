using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>References must stay inside the project wall (or its links); linked projects are readable, never writable.</summary>
public sealed class ReferenceTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task A_reference_outside_the_project_is_refused_with_its_fhirpath()
    {
        using var http = app.CreateClient();
        var (_, tokenA) = await AuthClient.NewProjectTokenAsync(http, app, "References A");
        var (_, tokenB) = await AuthClient.NewProjectTokenAsync(http, app, "References B");
        var inB = await FhirClients.Create(app, tokenB).CreateAsync(new Patient { Active = true });
        var inA = await FhirClients.Create(app, tokenA).CreateAsync(new Patient { Active = true });

        async Task<HttpResponseMessage> CreateObservationAsync(string reference) =>
            await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Observation", tokenA, AuthClient.Body(
                $$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"{{reference}}"},"contained":[{"resourceType":"Patient","id":"c1"}]}"""));

        using var toOtherProject = await CreateObservationAsync($"Patient/{inB!.Id}");
        using var toNothing = await CreateObservationAsync("Patient/does-not-exist");
        using var malformed = await CreateObservationAsync("not a reference");
        using var toOwn = await CreateObservationAsync($"Patient/{inA!.Id}");
        using var toOwnVersion = await CreateObservationAsync($"Patient/{inA.Id}/_history/1");
        using var contained = await CreateObservationAsync("#c1");
        using var external = await CreateObservationAsync("https://other.example/fhir/Patient/1");
        using var patched = await AuthClient.SendAsync(http, HttpMethod.Patch, $"/api/fhir/R4/Patient/{inA.Id}", tokenA,
            AuthClient.Body($$"""[{"op":"add","path":"/generalPractitioner","value":[{"reference":"Practitioner/{{inB.Id}}"}]}]""", "application/json-patch+json"));

        var outcome = JsonDocument.Parse(await toOtherProject.Content.ReadAsStringAsync()).RootElement.GetProperty("issue")[0];
        Assert.Equal(HttpStatusCode.BadRequest, toOtherProject.StatusCode);
        Assert.Equal("Observation.subject", outcome.GetProperty("expression")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, toNothing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, toOwn.StatusCode);
        Assert.Equal(HttpStatusCode.Created, toOwnVersion.StatusCode);
        Assert.Equal(HttpStatusCode.Created, contained.StatusCode);
        Assert.Equal(HttpStatusCode.Created, external.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, patched.StatusCode);
        Assert.Contains("Patient.generalPractitioner[0]", await patched.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Linked_projects_are_readable_and_referenceable_but_never_writable()
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (sharedId, sharedToken) = await AuthClient.NewProjectTokenAsync(http, app, "Shared terminology");
        var (tenantId, tenantToken) = await AuthClient.NewProjectTokenAsync(http, app, "Tenant");
        var medication = await FhirClients.Create(app, sharedToken).CreateAsync(new Medication { Code = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "1049502") });
        var sharedPatient = await FhirClients.Create(app, sharedToken).CreateAsync(new Patient { Active = true });
        using var exports = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/admin/projects/{sharedId}/exports", superAdmin,
            AuthClient.Body("""{"resourceTypes":["Medication"]}""", "application/json"));

        var (_, otherAdminToken) = await AuthClient.NewProjectTokenAsync(http, app, "Another project");
        using var byProjectAdmin = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/admin/projects/{tenantId}/links", otherAdminToken,
            AuthClient.Body($$"""{"projects":["{{sharedId}}"]}""", "application/json"));
        using var linked = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/admin/projects/{tenantId}/links", superAdmin,
            AuthClient.Body($$"""{"projects":["{{sharedId}}"]}""", "application/json"));
        var tenant = FhirClients.Create(app, tenantToken);

        var read = await tenant.ReadAsync<Medication>($"Medication/{medication!.Id}");
        var request = await tenant.CreateAsync(new MedicationRequest
        {
            Status = MedicationRequest.MedicationrequestStatus.Active,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Medication = new ResourceReference($"Medication/{medication.Id}"),
            Subject = new ResourceReference($"Patient/{(await tenant.CreateAsync(new Patient { Active = true }))!.Id}"),
        });
        using var update = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/fhir/R4/Medication/{medication.Id}", tenantToken,
            AuthClient.Body($$"""{"resourceType":"Medication","id":"{{medication.Id}}"}"""));
        using var delete = await AuthClient.SendAsync(http, HttpMethod.Delete, $"/api/fhir/R4/Medication/{medication.Id}", tenantToken);
        using var patch = await AuthClient.SendAsync(http, HttpMethod.Patch, $"/api/fhir/R4/Medication/{medication.Id}", tenantToken,
            AuthClient.Body("""[{"op":"remove","path":"/code"}]""", "application/json-patch+json"));
        using var reverse = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/MedicationRequest/{request!.Id}", sharedToken);
        var unchanged = await FhirClients.Create(app, sharedToken).ReadAsync<Medication>($"Medication/{medication.Id}");
        using var notExported = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{sharedPatient!.Id}", tenantToken);
        using var notExportedReference = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Observation", tenantToken, AuthClient.Body(
            $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{sharedPatient.Id}}}"}}"""));

        Assert.Equal(HttpStatusCode.Forbidden, byProjectAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
        Assert.Equal("1049502", read!.Code!.Coding[0].Code);
        Assert.Equal($"Medication/{medication.Id}", ((ResourceReference)request.Medication!).Reference);
        Assert.Equal(HttpStatusCode.Forbidden, update.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, patch.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, reverse.StatusCode);
        Assert.Equal("1", unchanged!.Meta!.VersionId);
        Assert.Equal(HttpStatusCode.OK, exports.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notExported.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notExportedReference.StatusCode);
    }
}
