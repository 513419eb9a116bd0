using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Access;
using Enclave.Api.Tests.Audit;
using Enclave.Api.Tests.Auth;
using Enclave.Api.Tests.Export;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Erasure;

/// <summary>
/// <c>Patient/{id}/$expunge?everything=true</c>: an asynchronous job with a status URL; afterwards nothing of the
/// patient's compartment is readable anywhere, another patient's data is untouched (count and content), and the audit
/// chain still verifies.
/// </summary>
public sealed class CompartmentErasureTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private Container Container => app.Services.GetRequiredService<Container>();

    [Fact]
    public async Task A_patients_compartment_is_erased_by_a_job_and_nothing_else_is_touched()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Compartment erasure");
        var token = project.AdminToken;
        var erased = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Erased"}]}""");
        var kept = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Kept"}]}""");
        var theirs = new List<string> { $"Patient/{erased}" };
        for (var i = 0; i < 5; i++)
        {
            theirs.Add($"Observation/{await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"o{{{i}}}"},"subject":{"reference":"Patient/{{{erased}}}"}}""")}");
        }

        theirs.Add($"Encounter/{await project.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/{{{erased}}}"}}""")}");
        var keptObservation = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"k"},"subject":{"reference":"Patient/{{{kept}}}"}}""");
        var first = theirs[1]["Observation/".Length..];
        using (var amended = await project.SendAsync(HttpMethod.Put, theirs[1], token,
            $$$"""{"resourceType":"Observation","id":"{{{first}}}","status":"amended","code":{"text":"o0"},"subject":{"reference":"Patient/{{{erased}}}"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, amended.StatusCode);
        }

        foreach (var reference in theirs)
        {
            using (await project.SendAsync(HttpMethod.Get, reference, token))
            {
            }
        }

        var keptBefore = await ContentAsync(project, [$"Patient/{kept}", $"Observation/{keptObservation}"]);

        using var kickoff = await project.SendAsync(HttpMethod.Post, $"Patient/{erased}/$expunge?everything=true", token);
        Assert.Equal(HttpStatusCode.Accepted, kickoff.StatusCode);
        var status = kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
        JsonElement done = default;
        for (var i = 0; i < 300; i++)
        {
            using var poll = await AuthClient.SendAsync(project.Http, HttpMethod.Get, status, token);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                done = JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement.Clone();
                break;
            }

            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            await Task.Delay(100);
        }

        Assert.Equal(theirs.Count, AuditRecords.Parameter(done, "resources").GetProperty("valueInteger").GetInt32());
        Assert.Equal(theirs.Count + 1 + theirs.Count, AuditRecords.Parameter(done, "documents").GetProperty("valueInteger").GetInt32()); // current + versions, one amended twice

        // The database holds nothing of theirs, and no audit record written before names any of it.
        var records = await AuditRecords.AllAsync(Container, project.ProjectId);
        foreach (var reference in theirs)
        {
            var id = reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..];
            var query = new QueryDefinition("SELECT VALUE c.id FROM c WHERE c.projectId = @p AND CONTAINS(c.id, @id)").WithParameter("@p", project.ProjectId).WithParameter("@id", id);
            using var documents = Container.GetItemQueryIterator<string>(query);
            Assert.Empty(await documents.ReadNextAsync());
            Assert.DoesNotContain(records, r => r.Entities.Any(e => e.StartsWith(reference, StringComparison.Ordinal)));
        }

        foreach (var reference in theirs)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, reference, token)).Status);
            Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"{reference}/_history/1", token)).Status);
        }

        var (_, bySubject) = await project.CallAsync(HttpMethod.Get, $"Observation?subject=Patient/{erased}", token);
        Assert.False(bySubject.TryGetProperty("entry", out _));
        var (_, revincluded) = await project.CallAsync(HttpMethod.Get, $"Patient?_revinclude=Observation:subject", token);
        Assert.Equal(PolicyProject.Sorted($"Observation/{keptObservation}", $"Patient/{kept}"),
            PolicyProject.Ids(revincluded).Concat(PolicyProject.Ids(revincluded, "include")).Order(StringComparer.Ordinal).ToList());
        var (_, history) = await project.CallAsync(HttpMethod.Get, "_history", token);
        Assert.All(theirs, reference => Assert.DoesNotContain(reference[(reference.IndexOf('/', StringComparison.Ordinal) + 1)..], history.GetRawText(), StringComparison.Ordinal));
        var manifest = await ExportApi.ExportAsync(project.Http, token, "$export");
        Assert.Equal([kept], await ExportApi.IdsAsync(project.Http, manifest, "Patient", token));
        Assert.Equal([keptObservation], await ExportApi.IdsAsync(project.Http, manifest, "Observation", token));
        Assert.DoesNotContain("Encounter", ExportApi.Types(manifest));

        Assert.Equal(keptBefore, await ContentAsync(project, [$"Patient/{kept}", $"Observation/{keptObservation}"]));
        var (_, verified) = await project.CallAsync(HttpMethod.Get, "AuditEvent/$verify", token);
        Assert.True(AuditRecords.Parameter(verified, "result").GetProperty("valueBoolean").GetBoolean(), verified.GetRawText());
    }

    [Fact]
    public async Task Earlier_versions_of_resources_that_left_the_compartment_are_erased_and_their_later_versions_kept()
    {
        var project = await PolicyProject.CreateAsync(app, app.CreateClient(), "Compartment leavers");
        var token = project.AdminToken;
        var erased = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Erased"}]}""");
        var kept = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Kept"}]}""");
        var moved = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"m"},"subject":{"reference":"Patient/{{{erased}}}"}}""");
        using (var move = await project.SendAsync(HttpMethod.Put, $"Observation/{moved}", token,
            $$$"""{"resourceType":"Observation","id":"{{{moved}}}","status":"final","code":{"text":"m"},"subject":{"reference":"Patient/{{{kept}}}"}}"""))
        {
            Assert.Equal(HttpStatusCode.OK, move.StatusCode);
        }

        var deleted = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"d"},"subject":{"reference":"Patient/{{{erased}}}"}}""");
        using (var delete = await project.SendAsync(HttpMethod.Delete, $"Observation/{deleted}", token))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        var movedNow = await ContentAsync(project, [$"Observation/{moved}"]);

        using var kickoff = await project.SendAsync(HttpMethod.Post, $"Patient/{erased}/$expunge?everything=true", token);
        var status = kickoff.Content.Headers.ContentLocation?.ToString() ?? kickoff.Headers.GetValues("Content-Location").Single();
        for (var i = 0; ; i++)
        {
            Assert.True(i < 300, "The erasure did not complete.");
            using var poll = await AuthClient.SendAsync(project.Http, HttpMethod.Get, status, token);
            if (poll.StatusCode == HttpStatusCode.OK)
            {
                break;
            }

            Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
            await Task.Delay(100);
        }

        // The version about someone else stays as it was; the versions about the erased patient are gone, and so is every
        // other trace of them: no document of the project holds the erased patient's id.
        Assert.Equal(movedNow, await ContentAsync(project, [$"Observation/{moved}"]));
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Observation/{moved}/_history/1", token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Observation/{deleted}/_history/1", token)).Status);
        var (_, history) = await project.CallAsync(HttpMethod.Get, $"Observation/{moved}/_history", token);
        Assert.Equal(["2"], history.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("meta").GetProperty("versionId").GetString()));
        var (_, typeHistory) = await project.CallAsync(HttpMethod.Get, "Observation/_history", token);
        Assert.DoesNotContain(erased, typeHistory.GetRawText(), StringComparison.Ordinal);
        var query = new QueryDefinition("SELECT * FROM c WHERE c.projectId = @p").WithParameter("@p", project.ProjectId);
        using var documents = Container.GetItemQueryStreamIterator(query);
        while (documents.HasMoreResults)
        {
            using var page = await documents.ReadNextAsync();
            using var reader = new StreamReader(page.Content);
            var text = await reader.ReadToEndAsync();
            var at = text.IndexOf(erased, StringComparison.Ordinal);
            Assert.True(at < 0, at < 0 ? null : text[Math.Max(0, at - 1500)..Math.Min(text.Length, at + 300)]);
        }
    }

    /// <summary>The SHA-256 of each resource's JSON as the API answers it.</summary>
    private static async Task<List<string>> ContentAsync(PolicyProject project, IEnumerable<string> references)
    {
        var hashes = new List<string>();
        foreach (var reference in references)
        {
            using var read = await project.SendAsync(HttpMethod.Get, reference, project.AdminToken);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            hashes.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(await read.Content.ReadAsByteArrayAsync())));
        }

        return hashes;
    }
}
