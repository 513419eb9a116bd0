using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Domain.Fhir;
using Enclave.Testing;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Enclave.Api.Tests.Export;

/// <summary>The export settings a deployment starts with (pages of 1000, member chunks of 100), polled quickly.</summary>
public sealed class DefaultExportFixture : EnclaveApiFixture
{
    protected override void Customize(Dictionary<string, string?> settings) =>
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.200";
}

/// <summary>
/// A generated project of 20,000 resources exported at each level with the default settings, against a direct search
/// of the same data through the API, line for line (each resource's JSON, sorted): the system level holds every
/// resource; the Patient level only those in patient compartments; a Group of 2,000 members (20 member chunks) only
/// those of its members.
/// </summary>
public sealed class GeneratedProjectExportTests(DefaultExportFixture app) : IClassFixture<DefaultExportFixture>
{
    private const int Patients = 6_000;
    private const int Observations = 12_000;
    private const int Unattached = 1_500;
    private const int Organizations = 500;
    private const int Members = 2_000;

    [Fact]
    public async System.Threading.Tasks.Task Every_level_of_a_20k_project_exports_what_a_direct_search_finds_line_for_line()
    {
        using var http = app.CreateClient();
        var (projectId, token) = await AuthClient.NewProjectTokenAsync(http, app, "Generated export");
        await SeedAsync(projectId);
        var members = Enumerable.Range(0, Members).Select(i => $"Patient/{PatientId(i)}").ToList();
        using var group = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Group", token,
            AuthClient.Body(JsonSerializer.Serialize(new { resourceType = "Group", type = "person", actual = true, member = members.Select(m => new { entity = new { reference = m } }) })));
        Assert.Equal(HttpStatusCode.Created, group.StatusCode);
        var groupId = JsonDocument.Parse(await group.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        var system = await ExportApi.ExportAsync(http, token, "$export?_type=Patient,Observation,Organization");
        var everything = await SearchAsync(http, token, "Patient", "Observation", "Organization");
        Assert.Equal(Patients + Observations + Unattached + Organizations, everything.Count);
        Assert.Equal(everything, await LinesAsync(http, system, token));

        var patientLevel = await ExportApi.ExportAsync(http, token, "Patient/$export?_type=Patient,Observation");
        var inCompartments = await SearchAsync(http, token, "Patient", "Observation?subject:missing=false");
        Assert.Equal(Patients + Observations, inCompartments.Count);
        Assert.Equal(inCompartments, await LinesAsync(http, patientLevel, token));

        var groupLevel = await ExportApi.ExportAsync(http, token, $"Group/{groupId}/$export?_type=Patient,Observation");
        var ofMembers = new List<string>();
        foreach (var chunk in members.Chunk(100))
        {
            ofMembers.AddRange(await SearchAsync(http, token, $"Patient?_id={string.Join(',', chunk.Select(m => m["Patient/".Length..]))}", $"Observation?subject={string.Join(',', chunk)}"));
        }

        ofMembers.Sort(StringComparer.Ordinal);
        Assert.Equal(Members + (Members * Observations / Patients), ofMembers.Count);
        Assert.Equal(ofMembers, await LinesAsync(http, groupLevel, token));
    }

    private static string PatientId(int i) => $"p{i:D5}";

    /// <summary>The resources, written as the store writes them (<see cref="ProjectSeeding"/>).</summary>
    private async System.Threading.Tasks.Task SeedAsync(string projectId)
    {
        var store = app.Services.GetRequiredService<IResourceStore>().For(ProjectScope.Of(projectId));
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        var resources = new List<Resource>();
        for (var i = 0; i < Patients; i++)
        {
            resources.Add(new Patient { Id = PatientId(i), Name = [new HumanName { Family = $"Generated{i}" }], BirthDate = $"1970-02-{1 + (i % 28):00}" });
        }

        for (var i = 0; i < Observations; i++)
        {
            resources.Add(new Observation
            {
                Id = $"o{i:D5}",
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", "8867-4"),
                Subject = new ResourceReference($"Patient/{PatientId(i % Patients)}"),
                Value = new Quantity(60 + (i % 40), "/min"),
            });
        }

        for (var i = 0; i < Unattached; i++)
        {
            resources.Add(new Observation { Id = $"u{i:D5}", Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "29463-7") });
        }

        for (var i = 0; i < Organizations; i++)
        {
            resources.Add(new Organization { Id = $"g{i:D5}", Name = $"Clinic {i}" });
        }

        await ProjectSeeding.CommitAsync(store, resources, at, inFlight: 8);
    }

    /// <summary>Every resource the searches find, following each one's next links: its JSON as the API answered it, sorted.</summary>
    private static async System.Threading.Tasks.Task<List<string>> SearchAsync(HttpClient http, string token, params string[] searches)
    {
        var lines = new List<string>();
        foreach (var search in searches)
        {
            var url = $"/api/fhir/R4/{search}{(search.Contains('?', StringComparison.Ordinal) ? '&' : '?')}_count=1000";
            for (var pages = 0; url is not null; pages++)
            {
                Assert.True(pages < 100, $"{search} never finished paging.");
                using var response = await AuthClient.SendAsync(http, HttpMethod.Get, url, token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var bundle = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                if (bundle.TryGetProperty("entry", out var entries))
                {
                    lines.AddRange(entries.EnumerateArray().Select(e => e.GetProperty("resource").GetRawText()));
                }

                url = bundle.GetProperty("link").EnumerateArray().FirstOrDefault(l => l.GetProperty("relation").GetString() == "next") is { ValueKind: JsonValueKind.Object } next
                    ? next.GetProperty("url").GetString()
                    : null;
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Every line of every output file of the manifest (each file's size and SHA-256 checked), sorted.</summary>
    private static async System.Threading.Tasks.Task<List<string>> LinesAsync(HttpClient http, JsonElement manifest, string token)
    {
        var lines = new List<string>();
        foreach (var type in ExportApi.Types(manifest))
        {
            lines.AddRange((await ExportApi.LinesAsync(http, manifest, type, token)).Select(l => l.GetRawText()));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
