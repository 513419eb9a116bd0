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
}
