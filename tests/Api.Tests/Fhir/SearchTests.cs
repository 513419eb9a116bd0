using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Type search over the index extracted on write, through Firely's FhirClient and raw HTTP.</summary>
public sealed class SearchTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private async Task<(FhirClient Client, string Token, string PatientId)> SeededProjectAsync()
    {
        using var http = app.CreateClient();
        var (_, token) = await AuthClient.NewProjectTokenAsync(http, app, "Search");
        var client = FhirClients.Create(app, token);
        var ann = await client.CreateAsync(new Patient
        {
            Name = [new HumanName { Family = "Müller", Given = ["Ann"] }],
            BirthDate = "1980-02-03",
            Gender = AdministrativeGender.Female,
            Identifier = [new Identifier("urn:mrn", "A-1")],
            Meta = new Meta { Tag = [new Coding("urn:cohort", "x")] },
        });
        await client.CreateAsync(new Patient { Name = [new HumanName { Family = "Mullins" }], BirthDate = "1990", Gender = AdministrativeGender.Male });
        await client.CreateAsync(new Patient { Name = [new HumanName { Family = "Smith" }], Active = true });
        foreach (var (code, value, date) in new[] { ("8867-4", 72m, "2024-03-01"), ("8867-4", 120m, "2024-04-15T10:00:00Z"), ("2339-0", 5.5m, "2024-03-20") })
        {
            await client.CreateAsync(new Observation
            {
                Status = ObservationStatus.Final,
                Code = new CodeableConcept("http://loinc.org", code),
                Subject = new ResourceReference($"Patient/{ann!.Id}"),
                Effective = new FhirDateTime(date),
                Value = new Quantity(value, "/min", "http://unitsofmeasure.org"),
            });
        }

        return (client, token, ann!.Id!);
    }

    private static async Task<IReadOnlyList<string>> IdsAsync(FhirClient client, string type, params string[] criteria)
    {
        var bundle = await client.SearchAsync(type, criteria);
        return [.. bundle!.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource!.Id!)];
    }

    [Fact]
    public async Task Every_parameter_type_finds_what_it_should()
    {
        var (client, _, annId) = await SeededProjectAsync();

        Assert.Equal(2, (await IdsAsync(client, "Patient", "name=mul")).Count);
        Assert.Equal([annId], await IdsAsync(client, "Patient", "name=muller"));
        Assert.Equal([annId], await IdsAsync(client, "Patient", "name:exact=Müller"));
        Assert.Empty(await IdsAsync(client, "Patient", "name:exact=muller"));
        Assert.Equal(2, (await IdsAsync(client, "Patient", "name:contains=ll")).Count);
        Assert.Equal([annId], await IdsAsync(client, "Patient", "identifier=urn:mrn|A-1"));
        Assert.Empty(await IdsAsync(client, "Patient", "identifier=urn:other|A-1"));
        Assert.Equal([annId], await IdsAsync(client, "Patient", "gender=female"));
        Assert.Equal(2, (await IdsAsync(client, "Patient", "gender:not=female")).Count);
        Assert.Equal([annId], await IdsAsync(client, "Patient", "birthdate=1980"));
        Assert.Equal([annId], await IdsAsync(client, "Patient", "birthdate=lt1985-01-01"));
        Assert.Single(await IdsAsync(client, "Patient", "birthdate=ge1985"));
        Assert.Single(await IdsAsync(client, "Patient", "active=true"));
        Assert.Equal(2, (await IdsAsync(client, "Patient", "birthdate:missing=false")).Count);
        Assert.Equal([annId], await IdsAsync(client, "Patient", "_tag=urn:cohort|x"));
        Assert.Equal([annId], await IdsAsync(client, "Patient", $"_id={annId}"));

        Assert.Equal(3, (await IdsAsync(client, "Observation", $"subject=Patient/{annId}")).Count);
        Assert.Equal(3, (await IdsAsync(client, "Observation", $"patient={annId}")).Count);
        Assert.Equal(3, (await IdsAsync(client, "Observation", $"subject={app.Server.BaseAddress}api/fhir/R4/Patient/{annId}")).Count);
        Assert.Empty(await IdsAsync(client, "Observation", $"subject=https://elsewhere.example/fhir/Patient/{annId}"));
        Assert.Equal(3, (await IdsAsync(client, "Observation", $"_compartment=Patient/{annId}")).Count);
        Assert.Equal(2, (await IdsAsync(client, "Observation", "code=http://loinc.org|8867-4")).Count);
        Assert.Single(await IdsAsync(client, "Observation", "code=8867-4", "value-quantity=gt100"));
        Assert.Single(await IdsAsync(client, "Observation", "value-quantity=72|http://unitsofmeasure.org|/min"));
        Assert.Equal(2, (await IdsAsync(client, "Observation", "date=2024-03")).Count);
        Assert.Single(await IdsAsync(client, "Observation", "date=sa2024-03-31"));
        Assert.Equal(3, (await IdsAsync(client, "Observation", "code=8867-4,2339-0")).Count);
    }

    [Fact]
    public async Task Pages_follow_next_links_until_every_match_is_seen_once()
    {
        var (client, _, annId) = await SeededProjectAsync();

        var seen = new List<string>();
        var page = await client.SearchAsync("Observation", [$"subject=Patient/{annId}"], pageSize: 2);
        while (page is not null)
        {
            seen.AddRange(page.Entry.Select(e => e.Resource!.Id!));
            page = await client.ContinueAsync(page);
        }

        Assert.Equal(3, seen.Count);
        Assert.Equal(3, seen.Distinct().Count());
    }

    [Fact]
    public async Task Counts_unknown_parameters_and_bad_values_are_answered_as_fhir_asks()
    {
        var (client, token, _) = await SeededProjectAsync();
        using var http = app.CreateClient();
        var lenientFirely = await client.SearchAsync("Patient", ["name=smith", "foo=bar"]);
        using var strictFirely = FhirClients.Create(app, token);
        strictFirely.Settings.PreferredParameterHandling = SearchParameterHandling.Strict;
        var strictRefusal = await Assert.ThrowsAsync<FhirOperationException>(() => strictFirely.SearchAsync("Patient", ["name=smith", "foo=bar"]));

        using var count = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?_summary=count", token);
        using var total = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?gender=female&_total=accurate", token);
        using var acrossTypes = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4?_type=Patient,Observation&_summary=count", token);
        using var everything = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4?_lastUpdated=gt2000-01-01&_count=100", token);
        using var typeOnlyParameter = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4?_type=Patient&gender=female", token);
        using var lenient = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?name=smith&foo=bar", token);
        using var strictRequest = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/fhir/R4/Patient?name=smith&foo=bar", UriKind.Relative));
        strictRequest.Headers.Authorization = new("Bearer", token);
        strictRequest.Headers.Add("Prefer", "handling=strict");
        using var strict = await http.SendAsync(strictRequest);
        using var badDate = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?birthdate=tomorrow", token);
        using var badModifier = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?birthdate:exact=1980", token);
        using var badPage = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?_page=!!!", token);
        using var posted = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient/_search", token,
            new FormUrlEncodedContent([new("family", "smith")]));

        Assert.Single(lenientFirely!.Entry, e => e.Search!.Mode == Bundle.SearchEntryMode.Match);
        Assert.Single(lenientFirely.Entry, e => e.Search!.Mode == Bundle.SearchEntryMode.Outcome);
        Assert.Equal(HttpStatusCode.BadRequest, strictRefusal.Status);
        var countBody = JsonDocument.Parse(await count.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, countBody.GetProperty("total").GetInt32());
        Assert.False(countBody.TryGetProperty("entry", out _));
        var totalBody = JsonDocument.Parse(await total.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, totalBody.GetProperty("total").GetInt32());
        Assert.Single(totalBody.GetProperty("entry").EnumerateArray());
        Assert.Equal(6, JsonDocument.Parse(await acrossTypes.Content.ReadAsStringAsync()).RootElement.GetProperty("total").GetInt32());
        Assert.Equal(6, JsonDocument.Parse(await everything.Content.ReadAsStringAsync()).RootElement.GetProperty("entry").GetArrayLength());
        Assert.Contains("'gender' is not supported", await typeOnlyParameter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var lenientBody = JsonDocument.Parse(await lenient.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
        Assert.Contains(lenientBody.GetProperty("entry").EnumerateArray(), e => e.GetProperty("search").GetProperty("mode").GetString() == "outcome"
            && e.GetProperty("resource").GetProperty("issue")[0].GetProperty("diagnostics").GetString()!.Contains("'foo'", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Contains("foo", await strict.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badDate.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badModifier.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badPage.StatusCode);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Single(JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("entry").EnumerateArray());
    }

    [Fact]
    public async Task Includes_chains_and_sort_shape_the_results()
    {
        var (client, token, annId) = await SeededProjectAsync();
        var practitioner = await client.CreateAsync(new Practitioner { Name = [new HumanName { Family = "House" }] });
        var encounter = await client.CreateAsync(new Encounter
        {
            Status = Encounter.EncounterStatus.Finished,
            Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
            Subject = new ResourceReference($"Patient/{annId}"),
            Participant = [new Encounter.ParticipantComponent { Individual = new ResourceReference($"Practitioner/{practitioner!.Id}") }],
        });

        var withPatients = await client.SearchAsync("Observation", ["code=8867-4", "_include=Observation:subject"]);
        var withObservations = await client.SearchAsync("Patient", [$"_id={annId}", "_revinclude=Observation:subject"]);
        var iterated = await client.SearchAsync("Observation", ["code=2339-0", "_include=Observation:subject", "_revinclude:iterate=Encounter:subject"]);
        var chained = await IdsAsync(client, "Observation", "subject:Patient.name=muller", "code=8867-4");
        var chainedDeeper = await IdsAsync(client, "Encounter", "participant:Practitioner.name=house");
        var reverse = await IdsAsync(client, "Patient", "_has:Observation:subject:code=2339-0");
        var noReverse = await IdsAsync(client, "Patient", "_has:Observation:subject:code=nothing");
        var byBirthDate = await client.SearchAsync("Patient", ["_sort=-birthdate,name"]);
        var byName = await client.SearchAsync("Patient", ["_sort=name"]);
        using var http = app.CreateClient();
        using var ambiguous = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Observation?subject.name=x", token);
        using var badSort = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Patient?_sort=nonsense", token);
        using var badInclude = await AuthClient.SendAsync(http, HttpMethod.Get, "/api/fhir/R4/Observation?_include=Observation:code", token);

        Assert.Equal(2, withPatients!.Entry.Count(e => e.Search!.Mode == Bundle.SearchEntryMode.Match));
        Assert.Equal(annId, Assert.Single(withPatients.Entry, e => e.Search!.Mode == Bundle.SearchEntryMode.Include).Resource!.Id);
        Assert.Equal(3, withObservations!.Entry.Count(e => e.Search!.Mode == Bundle.SearchEntryMode.Include));
        Assert.Contains(iterated!.Entry, e => e.Search!.Mode == Bundle.SearchEntryMode.Include && e.Resource!.Id == encounter!.Id);
        Assert.Equal(2, chained.Count);
        Assert.Equal([encounter!.Id!], chainedDeeper);
        Assert.Equal([annId], reverse);
        Assert.Empty(noReverse);
        Assert.Equal(["1990", "1980-02-03"], byBirthDate!.Entry.Take(2).Select(e => ((Patient)e.Resource!).BirthDate));
        Assert.Equal(["Müller", "Mullins", "Smith"], byName!.Entry.Select(e => ((Patient)e.Resource!).Name[0].Family));
        Assert.Equal(HttpStatusCode.BadRequest, ambiguous.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badSort.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badInclude.StatusCode);
    }

    [Fact]
    public async Task Page_tokens_are_bound_to_the_project_and_the_query()
    {
        var (_, token, annId) = await SeededProjectAsync();
        using var http = app.CreateClient();
        var (_, otherToken) = await AuthClient.NewProjectTokenAsync(http, app, "Search tokens");
        using var first = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Observation?subject=Patient/{annId}&_count=1", token);
        var next = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("link").EnumerateArray()
            .Single(l => l.GetProperty("relation").GetString() == "next").GetProperty("url").GetString()!;
        var pageToken = next[(next.IndexOf("_page=", StringComparison.Ordinal) + 6)..];

        using var followed = await AuthClient.SendAsync(http, HttpMethod.Get, next, token);
        using var inOtherProject = await AuthClient.SendAsync(http, HttpMethod.Get, next, otherToken);
        using var withOtherQuery = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Observation?subject=Patient/{annId}&_count=2&_page={pageToken}", token);
        var tampered = pageToken[..^2] + (pageToken[^2] == 'A' ? "B" : "A") + pageToken[^1];
        using var altered = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Observation?subject=Patient/{annId}&_count=1&_page={tampered}", token);

        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, inOtherProject.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, withOtherQuery.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, altered.StatusCode);
        Assert.True(pageToken.Length < 300, $"a compact token: {pageToken.Length} characters");
    }

    [Fact]
    public async Task Another_projects_resources_are_never_found()
    {
        var (_, _, annId) = await SeededProjectAsync();
        using var http = app.CreateClient();
        var (_, otherToken) = await AuthClient.NewProjectTokenAsync(http, app, "Search other");
        var other = FhirClients.Create(app, otherToken);

        Assert.Empty(await IdsAsync(other, "Patient", "name=muller"));
        Assert.Empty(await IdsAsync(other, "Patient", $"_id={annId}"));
        Assert.Empty(await IdsAsync(other, "Observation", $"subject=Patient/{annId}"));
        Assert.Equal(0, (await other.SearchAsync("Patient", ["_summary=count"]))!.Total);
    }
}
