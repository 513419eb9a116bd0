using System.Net;
using Enclave.Api.Tests.Access;
using Enclave.Api.Tests.Audit;
using Enclave.Api.Tests.Export;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Erasure;

/// <summary>
/// <c>$expunge</c>: afterwards nothing of the resource is readable anywhere — read, vread, history, search, includes,
/// export, the database itself — while the audit records that named it keep its hash and the chain still verifies.
/// </summary>
public sealed class ExpungeTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private Container Container => app.Services.GetRequiredService<Container>();

    [Fact]
    public async Task An_expunged_resource_is_gone_everywhere_and_its_audit_records_keep_only_its_hash()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Expunge");
        var token = project.AdminToken;
        var patient = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Forgotten"}]}""");
        var kept = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Kept"}]}""");
        using (var updated = await project.SendAsync(HttpMethod.Put, $"Patient/{patient}", token, $$"""{"resourceType":"Patient","id":"{{patient}}","name":[{"family":"Forgotten"}],"active":true}"""))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }

        var observation = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        using (await project.SendAsync(HttpMethod.Get, $"Patient/{patient}", token))
        {
        }

        var (status, outcome) = await project.CallAsync(HttpMethod.Post, $"Patient/{patient}/$expunge", token);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, AuditRecords.Parameter(outcome, "expunged").GetProperty("valueInteger").GetInt32());
        Assert.True(AuditRecords.Parameter(outcome, "redacted").GetProperty("valueInteger").GetInt32() >= 3);

        // Nothing in the database names it any more: not a resource document, not an audit record (of what came before; the reads
        // below, made after, name what they asked for).
        var query = new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.projectId = @p AND CONTAINS(c.id, @id)").WithParameter("@p", project.ProjectId).WithParameter("@id", patient);
        using var documents = Container.GetItemQueryIterator<string>(query);
        Assert.Empty(await documents.ReadNextAsync());
        var inCompartment = new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.projectId = @p AND c.kind = 'audit' AND ARRAY_CONTAINS(c.compartments, @patient)")
            .WithParameter("@p", project.ProjectId).WithParameter("@patient", $"Patient/{patient}");
        using (var compartment = Container.GetItemQueryIterator<string>(inCompartment))
        {
            Assert.Empty(await compartment.ReadNextAsync()); // the AuditEvents that were in its compartment too
        }

        var records = await AuditRecords.AllAsync(Container, project.ProjectId);
        Assert.DoesNotContain(records, r => r.Entities.Any(e => e.StartsWith($"Patient/{patient}", StringComparison.Ordinal)));
        Assert.Contains(records, r => r.Resource.GetRawText().Contains(Domain.Audit.AuditQuery.Hash($"Patient/{patient}/_history/1"), StringComparison.Ordinal));
        var (_, found) = await project.CallAsync(HttpMethod.Get, $"AuditEvent?entity=Patient/{patient}", token);
        Assert.False(found.TryGetProperty("entry", out _));


        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}/_history/1", token)).Status);
        var (_, history) = await project.CallAsync(HttpMethod.Get, $"Patient/{patient}/_history", token);
        Assert.False(history.TryGetProperty("entry", out _));
        var (_, typeHistory) = await project.CallAsync(HttpMethod.Get, "Patient/_history", token);
        Assert.DoesNotContain(patient, typeHistory.GetRawText(), StringComparison.Ordinal);
        var (_, byId) = await project.CallAsync(HttpMethod.Get, $"Patient?_id={patient}", token);
        Assert.False(byId.TryGetProperty("entry", out _));
        var (_, included) = await project.CallAsync(HttpMethod.Get, $"Observation?_id={observation}&_include=Observation:subject", token);
        Assert.Equal([$"Observation/{observation}"], PolicyProject.Ids(included).Concat(PolicyProject.Ids(included, "include")));
        var (_, all) = await project.CallAsync(HttpMethod.Get, "Patient", token);
        Assert.Equal([$"Patient/{kept}"], PolicyProject.Ids(all));

        var manifest = await ExportApi.ExportAsync(project.Http, token, "$export", prefer: "respond-async");
        var exported = await ExportApi.IdsAsync(project.Http, manifest, "Patient", token);
        Assert.Equal([kept], exported);

        var (_, verified) = await project.CallAsync(HttpMethod.Get, "AuditEvent/$verify", token);
        Assert.True(AuditRecords.Parameter(verified, "result").GetProperty("valueBoolean").GetBoolean(), verified.GetRawText());
    }

    [Fact]
    public async Task Only_admins_expunge_and_audit_records_and_nothing_cannot_be()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Expunge refusals");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        await project.PutPolicyAsync("all", """[{"resourceType":"Patient"}]""");
        var member = await project.MemberAsync("Member", "[" + PolicyProject.Access("all") + "]");

        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, $"Patient/{patient}/$expunge", member)).Status);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await project.CallAsync(HttpMethod.Post, "AuditEvent/x/$expunge", project.AdminToken)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Post, "Patient/never-there/$expunge", project.AdminToken)).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", member)).Status);
    }
}
