using System.Net;
using System.Text.Json;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Access;

/// <summary><c>ProjectMembership/{id}/$explain</c>: allowed or denied, which rule decided, which fields would be hidden, and why.</summary>
public sealed class ExplainTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    [Fact]
    public async Task Explain_answers_the_decision_the_rule_the_hidden_fields_and_the_search_filter()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Explain");
        await project.PutPolicyAsync("mso", """
            [{"resourceType":"Patient","criteria":"Patient?organization=%organization","hiddenFields":["telecom"]},
             {"resourceType":"Observation","criteria":"Observation?performer=%practitioner"}]
            """);
        var o1 = await project.CreateAsync("""{"resourceType":"Organization","name":"One"}""");
        var o2 = await project.CreateAsync("""{"resourceType":"Organization","name":"Two"}""");
        var p1 = await project.CreateAsync($$$"""{"resourceType":"Patient","managingOrganization":{"reference":"Organization/{{{o1}}}"}}""");
        var p2 = await project.CreateAsync($$$"""{"resourceType":"Patient","managingOrganization":{"reference":"Organization/{{{o2}}}"}}""");
        var memberToken = await project.MemberAsync("nurse", $"[{PolicyProject.Access("mso", ("organization", $"Organization/{o1}"))}]");
        var (_, memberships) = await project.CallAsync(HttpMethod.Get, "ProjectMembership", project.AdminToken);
        var membership = memberships.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource"))
            .Single(m => m.GetProperty("access").GetArrayLength() > 0).GetProperty("id").GetString();

        async Task<Dictionary<string, List<string>>> ExplainAsync(string parameters, string? token = null)
        {
            var (status, body) = await project.CallAsync(HttpMethod.Post, $"ProjectMembership/{membership}/$explain", token ?? project.AdminToken,
                $$"""{"resourceType":"Parameters","parameter":[{{parameters}}]}""");
            Assert.Equal(HttpStatusCode.OK, status);
            return body.GetProperty("parameter").EnumerateArray().GroupBy(p => p.GetProperty("name").GetString()!)
                .ToDictionary(g => g.Key, g => g.Select(p => p.TryGetProperty("part", out var parts)
                    ? string.Join(": ", parts.EnumerateArray().Select(part => part.GetProperty("valueString").GetString()))
                    : p.EnumerateObject().First(v => v.Name.StartsWith("value", StringComparison.Ordinal)).Value.ToString()).ToList());
        }

        var visible = await ExplainAsync($$"""{"name":"interaction","valueCode":"read"},{"name":"reference","valueString":"Patient/{{p1}}"}""");
        Assert.Equal(["True"], visible["allowed"]);
        Assert.Equal(["AccessPolicy/mso resource[0]"], visible["decidedBy"]);
        Assert.Equal(["telecom"], visible["hiddenField"]);
        Assert.Contains($"AccessPolicy/mso resource[0]: allows read; criteria Patient?organization=Organization/{o1} match", visible["rule"]);
        Assert.Contains("%practitioner", Assert.Single(visible["dropped"]), StringComparison.Ordinal);

        var hidden = await ExplainAsync($$"""{"name":"interaction","valueCode":"read"},{"name":"reference","valueString":"Patient/{{p2}}"}""");
        Assert.Equal(["False"], hidden["allowed"]);
        Assert.Contains("404", Assert.Single(hidden["reason"]), StringComparison.Ordinal);
        Assert.Contains($"AccessPolicy/mso resource[0]: allows read; criteria Patient?organization=Organization/{o1} do not match", hidden["rule"]);

        var create = await ExplainAsync($$"""
            {"name":"interaction","valueCode":"create"},
            {"name":"resource","resource":{"resourceType":"Patient","managingOrganization":{"reference":"Organization/{{o2}}"} } }
            """);
        Assert.Equal(["False"], create["allowed"]);

        var search = await ExplainAsync("""{"name":"interaction","valueCode":"search"},{"name":"resourceType","valueCode":"Patient"}""");
        Assert.Equal([$"Patient?organization=Organization/{o1}"], search["filter"]);
        var observations = await ExplainAsync("""{"name":"interaction","valueCode":"search"},{"name":"resourceType","valueCode":"Observation"}""");
        Assert.Equal(["False"], observations["allowed"]);

        using var forbidden = await project.SendAsync(HttpMethod.Post, $"ProjectMembership/{membership}/$explain", memberToken,
            """{"resourceType":"Parameters","parameter":[{"name":"interaction","valueCode":"read"},{"name":"resourceType","valueCode":"Patient"}]}""");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var bad = await project.SendAsync(HttpMethod.Post, $"ProjectMembership/{membership}/$explain", project.AdminToken,
            """{"resourceType":"Parameters","parameter":[{"name":"interaction","valueCode":"fly"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("OperationOutcome", JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("resourceType").GetString());
    }
}
