using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Access;

/// <summary>
/// Policies never fail open: every element is enforced or refused by name, the per-rule compartment is enforced,
/// a hidden field cannot be probed through a parameter that names it differently, and inputs that used to answer 500
/// are 400 OperationOutcomes.
/// </summary>
public sealed class PolicyFailClosedTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static void AssertRefused(HttpStatusCode status, JsonElement body, string named)
    {
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());
        Assert.Contains(named, body.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Regression: a misspelled criterion, readOnly or hiddenfields was stored (201) and the member got unrestricted access.</summary>
    [Theory]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","criterion":"Patient?_id=x"}]}""", "AccessPolicy.resource[0].criterion is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","readOnly":true}]}""", "AccessPolicy.resource[0].readOnly is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","hiddenfields":["telecom"]}]}""", "AccessPolicy.resource[0].hiddenfields is not a known element")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[],"ipAccessRules":[]}""", "AccessPolicy.ipAccessRules is not a known element")]
    [InlineData("""{"resourceType":5,"resource":[]}""", "AccessPolicy.resourceType must be a string")]
    [InlineData("""{"resourceType":"AccessPolicy","id":5,"resource":[]}""", "AccessPolicy.id must be a string")]
    [InlineData("""{"resourceType":"AccessPolicy","resource":[{"resourceType":"Patient","readonly":"true"}]}""", "AccessPolicy.resource[0].readonly must be true or false")]
    public async Task An_accesspolicy_element_that_is_not_enforced_is_refused_by_name_and_not_stored(string body, string named)
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Unknown elements");

        var (created, createBody) = await project.CallAsync(HttpMethod.Post, "AccessPolicy", project.AdminToken, body);
        var (put, putBody) = await project.CallAsync(HttpMethod.Put, "AccessPolicy/typo", project.AdminToken, body);
        var (read, _) = await project.CallAsync(HttpMethod.Get, "AccessPolicy/typo", project.AdminToken);

        AssertRefused(created, createBody, named);
        AssertRefused(put, putBody, named);
        Assert.Equal(HttpStatusCode.NotFound, read);
    }

    /// <summary>Regression: Medplum's per-rule compartment was stored and ignored, so the member read resources outside it.</summary>
    [Fact]
    public async Task A_rule_compartment_limits_reads_searches_writes_and_explanations_to_it()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Rule compartment");
        await project.PutPolicyAsync("own-data", """
            [{"resourceType":"Observation","compartment":{"reference":"%patient"}},
             {"resourceType":"Patient","criteria":"Patient?_id=%patient.id","readonly":true}]
            """);
        var p1 = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        var p2 = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        string Observation(string patient) => $$$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patient}}}"}}""";
        var o1 = await project.CreateAsync(Observation(p1));
        var o2 = await project.CreateAsync(Observation(p2));
        var (token, membership) = await project.MemberWithMembershipAsync("patient app",
            $"[{PolicyProject.Access("own-data", ("patient", $"Patient/{p1}"))}]");

        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Observation/{o1}", token)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Observation/{o2}", token)).Status);
        var (_, search) = await project.CallAsync(HttpMethod.Get, "Observation?_total=accurate", token);
        Assert.Equal([$"Observation/{o1}"], PolicyProject.Ids(search));
        Assert.Equal(1, search.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.Created, (await project.CallAsync(HttpMethod.Post, "Observation", token, Observation(p1))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, "Observation", token, Observation(p2))).Status);
        var (explained, explanation) = await project.CallAsync(HttpMethod.Post, $"ProjectMembership/{membership["id"]}/$explain", project.AdminToken,
            $$"""{"resourceType":"Parameters","parameter":[{"name":"interaction","valueCode":"read"},{"name":"reference","valueString":"Observation/{{o2}}"}]}""");
        Assert.Equal(HttpStatusCode.OK, explained);
        Assert.Contains("_compartment=Patient/" + p1, explanation.GetRawText(), StringComparison.Ordinal);
        Assert.False(explanation.GetProperty("parameter").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "allowed").GetProperty("valueBoolean").GetBoolean());
    }

    /// <summary>Regression: value-quantity, value-string, death-date, phone and email probed hidden fields they name differently.</summary>
    [Fact]
    public async Task A_search_that_reaches_a_hidden_field_under_another_name_is_refused()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Hidden probes");
        await project.PutPolicyAsync("hiding", """
            [{"resourceType":"Observation","hiddenFields":["valueQuantity.value","valueString"]},
             {"resourceType":"Patient","hiddenFields":["deceasedDateTime","telecom.value"]}]
            """);
        await project.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"valueQuantity":{"value":137}}""");
        var token = await project.MemberAsync("prober", $"[{PolicyProject.Access("hiding")}]");

        foreach (var probe in new[] { "Observation?value-quantity=137", "Observation?value-quantity=138", "Observation?value-string=x", "Observation?_sort=value-quantity",
            "Patient?death-date=2020", "Patient?phone=555", "Patient?email=a@b.c", "Patient?telecom=555", "Observation?subject:Patient.phone=555" })
        {
            var (status, body) = await project.CallAsync(HttpMethod.Get, probe, token);
            Assert.True(status == HttpStatusCode.Forbidden, $"{probe}: {status}");
            Assert.Contains("hides", body.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, "Observation?code:text=bp", token)).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, "Patient?birthdate=2020", token)).Status);
    }

    /// <summary>Regression: repeated operation parameters threw in Firely's single-value getters (500).</summary>
    [Fact]
    public async Task Repeated_or_malformed_operation_parameters_are_refused_by_name()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Operation parameters");
        await project.PutPolicyAsync("read", """[{"resourceType":"Patient","readonly":true}]""");
        var (_, membership) = await project.MemberWithMembershipAsync("member", $"[{PolicyProject.Access("read")}]");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        Task<(HttpStatusCode, JsonElement)> ExplainAsync(string parameters) =>
            project.CallAsync(HttpMethod.Post, $"ProjectMembership/{membership["id"]}/$explain", project.AdminToken, $$"""{"resourceType":"Parameters","parameter":[{{parameters}}]}""");
        Task<(HttpStatusCode, JsonElement)> SetAccountsAsync(string parameters) =>
            project.CallAsync(HttpMethod.Post, $"Patient/{patient}/$set-accounts", project.AdminToken, $$"""{"resourceType":"Parameters","parameter":[{{parameters}}]}""");

        var (twice, twiceBody) = await ExplainAsync("""{"name":"interaction","valueCode":"read"},{"name":"interaction","valueCode":"search"},{"name":"resourceType","valueCode":"Patient"}""");
        AssertRefused(twice, twiceBody, "'interaction' is given 2 times");
        var (types, typesBody) = await ExplainAsync("""{"name":"interaction","valueCode":"read"},{"name":"resourceType","valueCode":"Patient"},{"name":"resourceType","valueCode":"Observation"}""");
        AssertRefused(types, typesBody, "'resourceType' is given 2 times");
        var (unknown, unknownBody) = await ExplainAsync("""{"name":"interaction","valueCode":"read"},{"name":"resourcetype","valueCode":"Patient"}""");
        AssertRefused(unknown, unknownBody, "'resourcetype' is not a parameter");
        var (badReference, badReferenceBody) = await ExplainAsync("""{"name":"interaction","valueCode":"read"},{"name":"reference","valueString":"Patient/a\\b"}""");
        AssertRefused(badReference, badReferenceBody, "is not a current resource");

        var (propagate, propagateBody) = await SetAccountsAsync("""{"name":"propagate","valueBoolean":false},{"name":"propagate","valueBoolean":true}""");
        AssertRefused(propagate, propagateBody, "'propagate' is given 2 times");
        foreach (var malformed in new[] { "Organization/", "foo", "Organization/a b", "organization/o1", "Organization/o1/extra", "Nonsense/o1" })
        {
            var (status, body) = await SetAccountsAsync($$$"""{"name":"accounts","valueReference":{"reference":"{{{malformed}}}"}}""");
            AssertRefused(status, body, $"'{malformed}'");
        }

        var (unchanged, read) = await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", project.AdminToken);
        Assert.Equal(HttpStatusCode.OK, unchanged);
        Assert.Equal("1", read.GetProperty("meta").GetProperty("versionId").GetString());
    }

    /// <summary>Regression: exports [null] and links with nulls or non-strings answered 500.</summary>
    [Theory]
    [InlineData("exports", """{"resourceTypes":[null]}""", "resourceTypes[0] must be a string")]
    [InlineData("exports", """{"resourceTypes":["Patient",5]}""", "resourceTypes[1] must be a string")]
    [InlineData("exports", """{"resourceTypes":"Patient"}""", "resourceTypes is required")]
    [InlineData("exports", """{"resourceTypes":["patient"]}""", "'patient' is not a FHIR R4 resource type")]
    [InlineData("exports", """[]""", "resourceTypes is required")]
    [InlineData("exports", """{"resourceTypes":[""", "not valid JSON")]
    [InlineData("links", """{"projects":[null]}""", "projects[0] must be a string")]
    [InlineData("links", """{"projects":[{"id":"x"}]}""", "projects[0] must be a string")]
    [InlineData("links", """{"projects":null}""", "projects is required")]
    [InlineData("links", """{"projects":["a\\b"]}""", "'a\\b' is not one")]
    public async Task Malformed_links_and_exports_are_refused_by_name(string route, string body, string named)
    {
        using var http = app.CreateClient();
        var superAdmin = await AuthClient.TokenAsync(http, app.SuperAdmin.Id, app.SuperAdmin.Secret);
        var (projectId, _) = await AuthClient.NewProjectTokenAsync(http, app, "Malformed " + route);

        using var response = await AuthClient.SendAsync(http, HttpMethod.Put, $"/api/admin/projects/{projectId}/{route}", superAdmin, AuthClient.Body(body, "application/json"));

        AssertRefused(response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, named);
    }

    /// <summary>Regression: a membership access entry without a policy was stored and then threw on every request of the member.</summary>
    [Theory]
    [InlineData("""[{"policy":null}]""", "ProjectMembership.access[0].policy")]
    [InlineData("""[{"policy":{"reference":"Patient/x"}}]""", "ProjectMembership.access[0].policy")]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/read"},"parameter":[{"name":"x"}]}]""", "ProjectMembership.access[0].parameter[0]")]
    [InlineData("""[{"policy":{"reference":5}}]""", "ProjectMembership.access[0].policy.reference must be a string")]
    [InlineData("""[{"policy":"AccessPolicy/read"}]""", "ProjectMembership.access[0].policy must be an object")]
    [InlineData("""{"policy":{"reference":"AccessPolicy/read"}}""", "ProjectMembership.access must be an array")]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/read"},"parameter":[{"name":"x","valueString":7}]}]""", "ProjectMembership.access[0].parameter[0].valueString must be a string")]
    [InlineData("""[{"policy":{"reference":"AccessPolicy/read"},"paramter":[]}]""", "ProjectMembership.access[0].paramter is not a known element")]
    public async Task A_membership_whose_access_references_no_policy_is_refused(string access, string named)
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Membership access");
        await project.PutPolicyAsync("read", """[{"resourceType":"Patient","readonly":true}]""");
        var (_, membership) = await project.MemberWithMembershipAsync("member", $"[{PolicyProject.Access("read")}]");
        membership["access"] = System.Text.Json.Nodes.JsonNode.Parse(access);

        var (status, body) = await project.CallAsync(HttpMethod.Put, $"ProjectMembership/{membership["id"]}", project.AdminToken, membership.ToJsonString());
        var (_, stored) = await project.CallAsync(HttpMethod.Get, $"ProjectMembership/{membership["id"]}", project.AdminToken);

        AssertRefused(status, body, named);
        Assert.Equal("AccessPolicy/read", stored.GetProperty("access")[0].GetProperty("policy").GetProperty("reference").GetString());
    }

    /// <summary>A misspelled access (or Medplum's active, not implemented) was dropped, leaving the member without its policies.</summary>
    [Theory]
    [InlineData("acess", "ProjectMembership.acess is not a known element")]
    [InlineData("active", "ProjectMembership.active is not a known element")]
    public async Task A_membership_element_that_is_not_enforced_is_refused_by_name(string element, string named)
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Membership elements");
        await project.PutPolicyAsync("read", """[{"resourceType":"Patient","readonly":true}]""");
        var (_, membership) = await project.MemberWithMembershipAsync("member", $"[{PolicyProject.Access("read")}]");
        membership.Remove("access");
        membership[element] = element == "active" ? false : System.Text.Json.Nodes.JsonNode.Parse("[]");

        var (status, body) = await project.CallAsync(HttpMethod.Put, $"ProjectMembership/{membership["id"]}", project.AdminToken, membership.ToJsonString());
        var (_, stored) = await project.CallAsync(HttpMethod.Get, $"ProjectMembership/{membership["id"]}", project.AdminToken);

        AssertRefused(status, body, named);
        Assert.Equal("AccessPolicy/read", stored.GetProperty("access")[0].GetProperty("policy").GetProperty("reference").GetString());
    }
}
