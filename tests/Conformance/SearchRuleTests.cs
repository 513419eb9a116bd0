using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Api.Tests.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace Enclave.Conformance.Tests;

/// <summary>R4 search.html: the parameter types, common parameters, modifiers, chains, includes, sorting and paging.</summary>
public sealed class SearchRuleTests(ConformanceFixture suite) : ConformanceTest(suite)
{
    private static List<string> Ids(JsonElement bundle, string mode = "match") =>
        bundle.TryGetProperty("entry", out var entries)
            ? [.. entries.EnumerateArray().Where(e => e.GetProperty("search").GetProperty("mode").GetString() == mode).Select(e => e.GetProperty("resource").GetProperty("id").GetString()!).Order(StringComparer.Ordinal)]
            : [];

    private static List<string> Sorted(params string[] ids) => [.. ids.Order(StringComparer.Ordinal)];

    [Fact]
    [SpecRule("http.html#search", Level.Shall, "type search by GET and by POST [type]/_search with a form answer the same searchset", Covers = ["interaction:search-type"])]
    public System.Threading.Tasks.Task Get_and_post() => RuleAsync(async p =>
    {
        var id = await p.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Both"}]}""");

        var byGet = await p.Client.SearchAsync<Patient>(["family=Both"]);
        var (posted, text) = await p.SendAsync(HttpMethod.Post, "Patient/_search", "family=Both", "application/x-www-form-urlencoded");

        Assert.Equal(Bundle.BundleType.Searchset, byGet!.Type);
        Assert.Equal([id], byGet.Entry.Select(e => e.Resource?.Id));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal([id], Ids(JsonDocument.Parse(text).RootElement));
    });

    [Fact]
    [SpecRule("http.html#search", Level.Shall, "system search with _type searches across the named types", Covers = ["interaction:search-system"])]
    public System.Threading.Tasks.Task System_search() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var organization = await p.CreateAsync("""{"resourceType":"Organization"}""");
        await p.CreateAsync("""{"resourceType":"Practitioner"}""");

        var found = await p.JsonAsync(HttpMethod.Get, "?_type=Patient,Organization");

        Assert.Equal(Sorted(patient, organization), Ids(found));
    });

    [Fact]
    [SpecRule("search.html#string", Level.Shall, "string: starts-with, case- and accent-insensitive; :exact and :contains", Covers = ["search-param-type:string"])]
    public System.Threading.Tasks.Task String_parameters() => RuleAsync(async p =>
    {
        var smith = await p.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Smïth"}]}""");
        var blacksmith = await p.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Blacksmith"}]}""");

        Assert.Equal([smith], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?family=smi")));
        Assert.Equal([smith], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?family:exact=Smïth")));
        Assert.Empty(Ids(await p.JsonAsync(HttpMethod.Get, "Patient?family:exact=smïth")));
        Assert.Equal(Sorted(smith, blacksmith), Ids(await p.JsonAsync(HttpMethod.Get, "Patient?family:contains=mi")));
    });

    [Fact]
    [SpecRule("search.html#token", Level.Shall, "token: code, system|code, |code, system|; :not; :text", Covers = ["search-param-type:token", "common:_tag", "common:_security"])]
    public System.Threading.Tasks.Task Token_parameters() => RuleAsync(async p =>
    {
        var a = await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"system":"urn:a","value":"1"}],"gender":"female","meta":{"tag":[{"system":"urn:t","code":"x"}],"security":[{"system":"urn:s","code":"R"}]}}""");
        var b = await p.CreateAsync("""{"resourceType":"Patient","identifier":[{"value":"1"}],"gender":"male"}""");

        Assert.Equal(Sorted(a, b), Ids(await p.JsonAsync(HttpMethod.Get, "Patient?identifier=1")));
        Assert.Equal([a], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?identifier=urn:a|1")));
        Assert.Equal([b], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?identifier=|1")));
        Assert.Equal([a], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?identifier=urn:a|")));
        Assert.Equal([b], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?gender:not=female")));
        Assert.Equal([a], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?_tag=urn:t|x")));
        Assert.Equal([a], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?_security=urn:s|R")));
    });

    [Fact]
    [SpecRule("search.html#reference", Level.Shall, "reference: Type/id, a bare id, an absolute URL of this server; :Type", Covers = ["search-param-type:reference", "common:_compartment"])]
    public System.Threading.Tasks.Task Reference_parameters() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var observation = await p.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        var baseUrl = $"{App.Server.BaseAddress.ToString().TrimEnd('/')}{Base}";

        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, $"Observation?subject=Patient/{patient}")));
        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, $"Observation?subject={patient}")));
        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, $"Observation?subject:Patient={patient}")));
        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, $"Observation?subject={Uri.EscapeDataString($"{baseUrl}/Patient/{patient}")}")));
        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, $"Observation?_compartment=Patient/{patient}")));
    });

    [Fact]
    [SpecRule("search.html#date", Level.Shall, "date: eq at the precision given, and the prefixes gt lt ge le ne sa eb", Covers = ["search-param-type:date", "common:_lastUpdated"])]
    public System.Threading.Tasks.Task Date_parameters() => RuleAsync(async p =>
    {
        var old = await p.CreateAsync("""{"resourceType":"Patient","birthDate":"1950-06-15"}""");
        var young = await p.CreateAsync("""{"resourceType":"Patient","birthDate":"2010-01-01"}""");

        Assert.Equal([old], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate=1950")));
        Assert.Equal([young], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate=gt2000-01-01")));
        Assert.Equal([old], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate=lt2000")));
        Assert.Equal([young], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate=ne1950-06-15")));
        Assert.Equal([young], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate=sa1999")));
        Assert.Equal([old], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate=eb1999")));
        Assert.Equal(Sorted(old, young), Ids(await p.JsonAsync(HttpMethod.Get, "Patient?_lastUpdated=gt2000-01-01")));
    });

    [Fact]
    [SpecRule("search.html#number", Level.Shall, "number: implicit precision of the value given, and prefixes", Covers = ["search-param-type:number"])]
    public System.Threading.Tasks.Task Number_parameters() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var low = await p.CreateAsync($$"""{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/{{patient}}"},"prediction":[{"probabilityDecimal":0.2}]}""");
        var high = await p.CreateAsync($$"""{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/{{patient}}"},"prediction":[{"probabilityDecimal":0.81}]}""");

        Assert.Equal([low], Ids(await p.JsonAsync(HttpMethod.Get, "RiskAssessment?probability=0.2")));
        Assert.Equal([high], Ids(await p.JsonAsync(HttpMethod.Get, "RiskAssessment?probability=gt0.5")));
        Assert.Equal([high], Ids(await p.JsonAsync(HttpMethod.Get, "RiskAssessment?probability=0.8")));
    });

    [Fact]
    [SpecRule("search.html#quantity", Level.Shall, "quantity: value, value|system|code, value||code, and prefixes", Covers = ["search-param-type:quantity"])]
    public System.Threading.Tasks.Task Quantity_parameters() => RuleAsync(async p =>
    {
        var bp = await p.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"valueQuantity":{"value":137,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}""");
        await p.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"valueQuantity":{"value":90,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}""");

        Assert.Equal([bp], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?value-quantity=137")));
        Assert.Equal([bp], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?value-quantity=gt100|http://unitsofmeasure.org|mm[Hg]")));
        Assert.Equal([bp], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?value-quantity=137||mm[Hg]")));
    });

    [Fact]
    [SpecRule("search.html#uri", Level.Shall, "uri: exact match, :below and :above", Covers = ["search-param-type:uri", "common:_profile", "common:_source"])]
    public System.Threading.Tasks.Task Uri_parameters() => RuleAsync(async p =>
    {
        var valueSet = await p.CreateAsync("""{"resourceType":"ValueSet","status":"active","url":"http://example.org/fhir/ValueSet/a","meta":{"profile":["http://example.org/p"],"source":"http://example.org/src"}}""");

        Assert.Equal([valueSet], Ids(await p.JsonAsync(HttpMethod.Get, "ValueSet?url=http://example.org/fhir/ValueSet/a")));
        Assert.Equal([valueSet], Ids(await p.JsonAsync(HttpMethod.Get, "ValueSet?url:below=http://example.org/fhir")));
        Assert.Equal([valueSet], Ids(await p.JsonAsync(HttpMethod.Get, "ValueSet?url:above=http://example.org/fhir/ValueSet/a/b")));
        Assert.Equal([valueSet], Ids(await p.JsonAsync(HttpMethod.Get, "ValueSet?_profile=http://example.org/p")));
        Assert.Equal([valueSet], Ids(await p.JsonAsync(HttpMethod.Get, "ValueSet?_source=http://example.org/src")));
    });

    [Fact]
    [SpecRule("search.html#composite", Level.Shall, "composite: both parts hold for the same element", Covers = ["search-param-type:composite"])]
    public System.Threading.Tasks.Task Composite_parameters() => RuleAsync(async p =>
    {
        var both = await p.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":150}}""");
        await p.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":150}}""");

        Assert.Equal([both], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?code-value-quantity=http://loinc.org|8480-6$gt140")));
    });

    [Fact]
    [SpecRule("search.html#id", Level.Shall, "_id matches resource ids, comma-separated as OR", Covers = ["common:_id"])]
    public System.Threading.Tasks.Task Id_parameter() => RuleAsync(async p =>
    {
        var a = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var b = await p.CreateAsync("""{"resourceType":"Patient"}""");
        await p.CreateAsync("""{"resourceType":"Patient"}""");

        Assert.Equal(Sorted(a, b), Ids(await p.JsonAsync(HttpMethod.Get, $"Patient?_id={a},{b}")));
    });

    [Fact]
    [SpecRule("search.html#missing", Level.Shall, ":missing=true and :missing=false")]
    public System.Threading.Tasks.Task Missing() => RuleAsync(async p =>
    {
        var with = await p.CreateAsync("""{"resourceType":"Patient","birthDate":"2000-01-01"}""");
        var without = await p.CreateAsync("""{"resourceType":"Patient"}""");

        Assert.Equal([without], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate:missing=true")));
        Assert.Equal([with], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?birthdate:missing=false")));
    });

    [Fact]
    [SpecRule("search.html#chaining", Level.Shall, "chains with the type named (subject:Patient.family) and, for a single-target parameter, without it (patient.family)")]
    public System.Threading.Tasks.Task Chains() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Chained"}],"identifier":[{"system":"urn:mrn","value":"c9"}]}""");
        var observation = await p.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""");
        var condition = await p.CreateAsync($$$"""{"resourceType":"Condition","subject":{"reference":"Patient/{{{patient}}}"}}""");

        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?subject:Patient.family=Chained")));
        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?patient.family=Chained")));
        Assert.Equal([observation], Ids(await p.JsonAsync(HttpMethod.Get, "Observation?patient.identifier=urn:mrn|c9")));
        Assert.Equal([condition], Ids(await p.JsonAsync(HttpMethod.Get, "Condition?patient.family=Chained")));
    });

    [Fact]
    [SpecRule("search.html#has", Level.Shall, "_has reverse chains select resources referred to by matching ones")]
    public System.Threading.Tasks.Task Reverse_chains() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");
        await p.CreateAsync("""{"resourceType":"Patient"}""");
        await p.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"code":"1234-5"}]},"subject":{"reference":"Patient/{{{patient}}}"}}""");

        Assert.Equal([patient], Ids(await p.JsonAsync(HttpMethod.Get, "Patient?_has:Observation:patient:code=1234-5")));
    });

    [Fact]
    [SpecRule("search.html#include", Level.Shall, "_include and _revinclude add the referenced and referring resources with search.mode include",
        Covers = ["searchInclude", "searchRevInclude"])]
    public System.Threading.Tasks.Task Includes() => RuleAsync(async p =>
    {
        var patient = await p.CreateAsync("""{"resourceType":"Patient"}""");
        var observation = await p.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"}}""");

        var included = await p.JsonAsync(HttpMethod.Get, "Observation?_include=Observation:subject");
        var revIncluded = await p.JsonAsync(HttpMethod.Get, "Patient?_revinclude=Observation:subject");

        Assert.Equal([patient], Ids(included, "include"));
        Assert.Equal([observation], Ids(revIncluded, "include"));
    });

    [Fact]
    [SpecRule("search.html#sort", Level.Shall, "_sort orders by the parameters named, - for descending")]
    public System.Threading.Tasks.Task Sort() => RuleAsync(async p =>
    {
        var b = await p.CreateAsync("""{"resourceType":"Patient","birthDate":"1990-01-01"}""");
        var a = await p.CreateAsync("""{"resourceType":"Patient","birthDate":"1980-01-01"}""");
        var c = await p.CreateAsync("""{"resourceType":"Patient","birthDate":"2000-01-01"}""");

        var ascending = await p.JsonAsync(HttpMethod.Get, "Patient?_sort=birthdate");
        var descending = await p.JsonAsync(HttpMethod.Get, "Patient?_sort=-birthdate");

        Assert.Equal([a, b, c], ascending.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()));
        Assert.Equal([c, b, a], descending.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()));
    });

    [Fact]
    [SpecRule("search.html#count", Level.Shall, "_count pages the results; next links walk every match once; _total=accurate counts them")]
    public System.Threading.Tasks.Task Paging() => RuleAsync(async p =>
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await p.CreateAsync("""{"resourceType":"Patient"}"""));
        }

        var seen = new List<string>();
        var page = await p.JsonAsync(HttpMethod.Get, "Patient?_count=2&_total=accurate");
        Assert.Equal(5, page.GetProperty("total").GetInt32());
        while (true)
        {
            seen.AddRange(Ids(page));
            var next = page.GetProperty("link").EnumerateArray().FirstOrDefault(l => l.GetProperty("relation").GetString() == "next");
            if (next.ValueKind == JsonValueKind.Undefined)
            {
                break;
            }

            page = await p.JsonAsync(HttpMethod.Get, new Uri(next.GetProperty("url").GetString()!).PathAndQuery);
        }

        Assert.Equal(Sorted([.. ids]), Sorted([.. seen]));
    });

    [Fact]
    [SpecRule("search.html#errors", Level.Should, "unknown parameters are ignored and reported in an outcome entry; with Prefer: handling=strict they are a 400")]
    public System.Threading.Tasks.Task Unknown_parameters() => RuleAsync(async p =>
    {
        var lenient = await p.JsonAsync(HttpMethod.Get, "Patient?x-unknown=1");
        var (strict, text) = await p.SendAsync(HttpMethod.Get, "Patient?x-unknown=1", headers: ("Prefer", "handling=strict"));

        Assert.Contains(lenient.GetProperty("entry").EnumerateArray(), e => e.GetProperty("search").GetProperty("mode").GetString() == "outcome");
        Assert.Equal(HttpStatusCode.BadRequest, strict.StatusCode);
        Assert.Contains("x-unknown", text, StringComparison.Ordinal);
    });

    [Fact]
    [SpecRule("search.html#errors", Level.Shall, "a search the server cannot run (a bad value) is 400 with an OperationOutcome")]
    public System.Threading.Tasks.Task Bad_values() => RuleAsync(async p =>
    {
        var (response, text) = await p.SendAsync(HttpMethod.Get, "Patient?birthdate=2024-02-30");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(text).RootElement.GetProperty("resourceType").GetString());
    });

    [Fact]
    [SpecRule("search.html#search", Level.Should, "a search reaches the resources the caller can read: its project's, and the exported types of projects it links to")]
    public System.Threading.Tasks.Task Linked_projects() => RuleAsync(async p =>
    {
        var superAdmin = await AuthClient.TokenAsync(p.Http, App.SuperAdmin.Id, App.SuperAdmin.Secret);
        var (sharedId, sharedToken) = await AuthClient.NewProjectTokenAsync(p.Http, App, "Shared directory");
        var shared = new Project(p.Http, sharedId, sharedToken, FhirClients.Create(App, sharedToken));
        var o2 = await shared.CreateAsync("""{"resourceType":"Organization","name":"Shared clinic"}""");
        await shared.CreateAsync("""{"resourceType":"Practitioner","name":[{"family":"Not exported"}]}""");
        using (var exports = await AuthClient.SendAsync(p.Http, HttpMethod.Put, $"/api/admin/projects/{sharedId}/exports", superAdmin,
            AuthClient.Body("""{"resourceTypes":["Organization"]}""", "application/json")))
        using (var links = await AuthClient.SendAsync(p.Http, HttpMethod.Put, $"/api/admin/projects/{p.Id}/links", superAdmin,
            AuthClient.Body($$"""{"projects":["{{sharedId}}"]}""", "application/json")))
        {
            Assert.True(exports.IsSuccessStatusCode && links.IsSuccessStatusCode);
        }

        var o1 = await p.CreateAsync("""{"resourceType":"Organization","name":"Own clinic"}""");

        var byId = await p.JsonAsync(HttpMethod.Get, $"Organization?_id={o1},{o2}&_total=accurate");
        var all = await p.JsonAsync(HttpMethod.Get, "?_type=Organization,Practitioner");
        var practitioners = await p.JsonAsync(HttpMethod.Get, "Practitioner?_total=accurate");
        var (write, _) = await p.SendAsync(HttpMethod.Put, $"Organization/{o2}", $$"""{"resourceType":"Organization","id":"{{o2}}","name":"Taken over"}""");

        Assert.Equal(Sorted(o1, o2), Ids(byId));
        Assert.Equal(2, byId.GetProperty("total").GetInt32());
        Assert.Equal(Sorted(o1, o2), Ids(all));
        Assert.Equal(0, practitioners.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);

        // Chains, references and includes resolve in the caller's project: their ids name no project, so a linked
        // project's resources are not matched against them.
        var withReference = await p.JsonAsync(HttpMethod.Get, $"Organization?_id={o1},{o2}&partof:missing=true&_revinclude=Organization:partof");
        Assert.Equal([o1], Ids(withReference));
    });
}
