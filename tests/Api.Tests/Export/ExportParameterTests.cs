using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Access;

namespace Enclave.Api.Tests.Export;

/// <summary>Kick-off parameters end to end: <c>_elements</c> trims and tags, <c>_since</c> lists deletions, lenient handling reports in <c>error[]</c>.</summary>
public sealed class ExportParameterTests(SmallStepExportFixture app) : IClassFixture<SmallStepExportFixture>
{
    [Fact]
    public async Task Elements_trim_the_types_they_apply_to_keep_mandatory_elements_and_tag_them_subsetted()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Export elements");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Trimmed"}],"birthDate":"1980-02-03","gender":"other"}""");
        await project.CreateAsync($$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{patient}}"},"valueQuantity":{"value":7},"note":[{"text":"gone"}]}""");
        await project.CreateAsync($$"""{"resourceType":"Condition","subject":{"reference":"Patient/{{patient}}"},"note":[{"text":"kept"}]}""");

        var manifest = await ExportApi.ExportAsync(http, project.AdminToken, "$export?_type=Patient,Observation,Condition&_elements=Observation.subject,Patient.birthDate");

        var observation = Assert.Single(await ExportApi.LinesAsync(http, manifest, "Observation", project.AdminToken));
        Assert.Equal(["code", "id", "meta", "resourceType", "status", "subject"], observation.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains(observation.GetProperty("meta").GetProperty("tag").EnumerateArray(),
            t => t.GetProperty("code").GetString() == "SUBSETTED" && t.GetProperty("system").GetString() == "http://terminology.hl7.org/CodeSystem/v3-ObservationValue");
        var exported = Assert.Single(await ExportApi.LinesAsync(http, manifest, "Patient", project.AdminToken));
        Assert.Equal(["birthDate", "id", "meta", "resourceType"], exported.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var condition = Assert.Single(await ExportApi.LinesAsync(http, manifest, "Condition", project.AdminToken)); // no element names Condition: whole
        Assert.Equal("kept", condition.GetProperty("note")[0].GetProperty("text").GetString());
        Assert.False(condition.TryGetProperty("meta", out var meta) && meta.TryGetProperty("tag", out _));
    }

    private static async Task<string> LastUpdatedAsync(PolicyProject project, string json)
    {
        var (status, body) = await project.CallAsync(HttpMethod.Post, JsonDocument.Parse(json).RootElement.GetProperty("resourceType").GetString()!, project.AdminToken, json);
        Assert.Equal(HttpStatusCode.Created, status);
        return body.GetProperty("meta").GetProperty("lastUpdated").GetString()!;
    }

    private static async Task DeleteAsync(PolicyProject project, string reference)
    {
        using var deleted = await project.SendAsync(HttpMethod.Delete, reference, project.AdminToken);
        Assert.True(deleted.IsSuccessStatusCode, await deleted.Content.ReadAsStringAsync());
    }

    private static async Task PutAsync(PolicyProject project, string id, string family)
    {
        using var put = await project.SendAsync(HttpMethod.Put, $"Patient/{id}", project.AdminToken, $$"""{"resourceType":"Patient","id":"{{id}}","name":[{"family":"{{family}}"}]}""");
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task With_since_deletions_up_to_T_are_listed_as_transaction_bundles_and_never_also_in_output()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Export deletions");
        var deleted = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Deleted"}]}""");
        var updated = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Updated"}]}""");
        var recreated = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Recreated before T"}]}""");
        var recreatedLate = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Recreated after T"}]}""");
        var observation = await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{updated}}}"}}""");
        var loose = await project.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"in no compartment"}}""");
        var since = await LastUpdatedAsync(project, """{"resourceType":"Organization","name":"since"}""");

        await DeleteAsync(project, $"Patient/{deleted}");
        await PutAsync(project, updated, "Updated after since");
        await DeleteAsync(project, $"Patient/{recreated}");
        await PutAsync(project, recreated, "Back");
        await DeleteAsync(project, $"Patient/{recreatedLate}");
        await DeleteAsync(project, $"Observation/{observation}");
        await DeleteAsync(project, $"Observation/{loose}");
        var transient = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Created and deleted after since"}]}""");
        await DeleteAsync(project, $"Patient/{transient}");

        using var kickoff = await ExportApi.KickoffAsync(http, project.AdminToken, $"$export?_type=Patient,Observation&_since={Uri.EscapeDataString(since)}");
        var status = await ExportApi.StatusUrlAsync(kickoff);
        using var patientKickoff = await ExportApi.KickoffAsync(http, project.AdminToken, $"Patient/$export?_type=Observation&_since={Uri.EscapeDataString(since)}");
        var patientStatus = await ExportApi.StatusUrlAsync(patientKickoff);

        // After T: a new resource and a re-creation are absent.
        var late = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Late"}]}""");
        await PutAsync(project, recreatedLate, "Back after T");

        var manifest = await ExportApi.ManifestAsync(http, status, project.AdminToken);
        Assert.Equal(["Bundle"], ExportApi.Types(manifest, "deleted"));
        var bundles = await ExportApi.LinesAsync(http, manifest, "Bundle", project.AdminToken, "deleted");
        Assert.All(bundles, b => Assert.Equal("transaction", b.GetProperty("type").GetString()));
        var entries = bundles.SelectMany(b => b.GetProperty("entry").EnumerateArray()).ToList();
        Assert.All(entries, e => Assert.Equal("DELETE", e.GetProperty("request").GetProperty("method").GetString()));
        var urls = entries.Select(e => e.GetProperty("request").GetProperty("url").GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ExportApi.Sorted([$"Observation/{observation}", $"Observation/{loose}", $"Patient/{deleted}", $"Patient/{recreatedLate}", $"Patient/{transient}"]), urls);

        var output = await ExportApi.IdsAsync(http, manifest, "Patient", project.AdminToken);
        Assert.Equal(ExportApi.Sorted([updated, recreated]), output); // not the deleted ones, not the late ones
        Assert.DoesNotContain(late, output);
        Assert.Equal(["Patient"], ExportApi.Types(manifest));

        // At Patient level only deletions whose last version was in a patient's compartment.
        var patientLevel = await ExportApi.ManifestAsync(http, patientStatus, project.AdminToken);
        var patientUrls = (await ExportApi.LinesAsync(http, patientLevel, "Bundle", project.AdminToken, "deleted"))
            .SelectMany(b => b.GetProperty("entry").EnumerateArray()).Select(e => e.GetProperty("request").GetProperty("url").GetString()).ToList();
        Assert.Equal([$"Observation/{observation}"], patientUrls);
    }

    [Fact]
    public async Task What_lenient_handling_ignored_is_listed_in_error_as_one_OperationOutcome_a_parameter()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Export errors");
        await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"E"}]}""");

        var manifest = await ExportApi.ExportAsync(http, project.AdminToken, "$export?_type=Patient&_until=2030-01-01T00:00:00Z&unknown=1",
            prefer: "respond-async, handling=lenient");
        var strict = await ExportApi.ExportAsync(http, project.AdminToken, "$export?_type=Patient");

        Assert.Equal(["OperationOutcome"], ExportApi.Types(manifest, "error"));
        var outcomes = await ExportApi.LinesAsync(http, manifest, "OperationOutcome", project.AdminToken, "error");
        Assert.All(outcomes, o => Assert.Equal("OperationOutcome", o.GetProperty("resourceType").GetString()));
        Assert.Equal(["_until", "unknown"], outcomes.Select(o => o.GetProperty("issue")[0].GetProperty("expression")[0].GetString()));
        Assert.Single(await ExportApi.LinesAsync(http, manifest, "Patient", project.AdminToken));
        Assert.Equal(0, strict.GetProperty("error").GetArrayLength());
    }
}
