using System.Net;
using System.Text.Json;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Access;

/// <summary>
/// Access policies enforced through the HTTP API on every path: the MSO pattern (organisations as tenants, one
/// parameterised policy), the caregiver pattern (one access entry per patient), read-only partners, hidden and
/// read-only fields at depth, and write constraints.
/// </summary>
public sealed class AccessPolicyTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private const string Mso = """
        [{"resourceType":"Patient","criteria":"Patient?organization=%organization"},
         {"resourceType":"Encounter","criteria":"Encounter?service-provider=%organization"},
         {"resourceType":"Organization","readonly":true}]
        """;

    private static string Patient(string org, string family) =>
        $$$"""{"resourceType":"Patient","name":[{"family":"{{{family}}}"}],"managingOrganization":{"reference":"Organization/{{{org}}}"}}""";

    [Fact]
    public async Task An_mso_member_reaches_only_the_resources_of_their_organisations_on_every_path()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "MSO");
        await project.PutPolicyAsync("mso", Mso);
        var o1 = await project.CreateAsync("""{"resourceType":"Organization","name":"Clinic 1"}""");
        var o2 = await project.CreateAsync("""{"resourceType":"Organization","name":"Clinic 2"}""");
        var p1 = await project.CreateAsync(Patient(o1, "Inone"));
        var p2 = await project.CreateAsync(Patient(o2, "Intwo"));
        var e2 = await project.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/{{{p2}}}"},"serviceProvider":{"reference":"Organization/{{{o2}}}"}}""");
        var one = await project.MemberAsync("clinic 1 nurse", $"[{PolicyProject.Access("mso", ("organization", $"Organization/{o1}"))}]");
        // The regional manager is a user (invited, signed in with a password) in both organisations.
        var both = await project.UserAsync(
            $"[{PolicyProject.Access("mso", ("organization", $"Organization/{o1}"))},{PolicyProject.Access("mso", ("organization", $"Organization/{o2}"))}]",
            "Practitioner/manager");

        // read: 404 for the other organisation's patient, exactly as for a missing one; 403 for a type never allowed.
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{p1}", one)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{p2}", one)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{p2}/_history/1", one)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{p2}/_history", one)).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{p2}", both)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Observation", one)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Observation", both)).Status);

        // search: the filter is in the query, so the total counts only visible resources.
        var (_, search) = await project.CallAsync(HttpMethod.Get, "Patient?_total=accurate", one);
        Assert.Equal([$"Patient/{p1}"], PolicyProject.Ids(search));
        Assert.Equal(1, search.GetProperty("total").GetInt32());
        Assert.Equal(PolicyProject.Sorted($"Patient/{p1}", $"Patient/{p2}"), PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Patient", both)).Body));
        var (_, system) = await project.CallAsync(HttpMethod.Get, "?_type=Patient,Encounter,Organization", one);
        Assert.Equal(PolicyProject.Sorted($"Organization/{o1}", $"Organization/{o2}", $"Patient/{p1}"), PolicyProject.Ids(system));

        // includes, reverse includes and chains see only what the caller sees.
        var (_, withPatients) = await project.CallAsync(HttpMethod.Get, "Organization?_revinclude=Patient:organization", one);
        Assert.Equal([$"Patient/{p1}"], PolicyProject.Ids(withPatients, "include"));
        var (_, included) = await project.CallAsync(HttpMethod.Get, $"Encounter?_id={e2}&_include=Encounter:subject", both);
        Assert.Equal([$"Patient/{p2}"], PolicyProject.Ids(included, "include"));
        var (_, chained) = await project.CallAsync(HttpMethod.Get, "Organization?_has:Patient:organization:family=Intwo", one);
        Assert.Empty(PolicyProject.Ids(chained));
        Assert.Equal([$"Organization/{o2}"], PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Organization?_has:Patient:organization:family=Intwo", both)).Body));

        // history shows only visible versions.
        var (_, history) = await project.CallAsync(HttpMethod.Get, "Patient/_history", one);
        Assert.All(history.GetProperty("entry").EnumerateArray(), e => Assert.Equal(p1, e.GetProperty("resource").GetProperty("id").GetString()));

        // writes: the candidate must match too, so a resource cannot be created in, or moved to, another organisation.
        Assert.Equal(HttpStatusCode.Created, (await project.CallAsync(HttpMethod.Post, "Patient", one, Patient(o1, "New"))).Status);
        var (refusedStatus, refused) = await project.CallAsync(HttpMethod.Post, "Patient", one, Patient(o2, "Elsewhere"));
        Assert.Equal(HttpStatusCode.Forbidden, refusedStatus);
        Assert.Equal("forbidden", refused.GetProperty("issue")[0].GetProperty("code").GetString());
        var moved = Patient(o2, "Inone").Replace("{\"resourceType\":\"Patient\",", $"{{\"resourceType\":\"Patient\",\"id\":\"{p1}\",", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Put, $"Patient/{p1}", one, moved)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Patch, $"Patient/{p1}", one,
            $$"""[{"op":"replace","path":"/managingOrganization/reference","value":"Organization/{{o2}}"}]""", "application/json-patch+json")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Patch, $"Patient/{p2}", one,
            """[{"op":"add","path":"/active","value":false}]""", "application/json-patch+json")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Put, $"Organization/{o1}", one,
            $$"""{"resourceType":"Organization","id":"{{o1}}","name":"Renamed"}""")).Status);

        // delete of an invisible resource deletes nothing; conditional operations only match what the caller sees.
        Assert.Equal(HttpStatusCode.NoContent, (await project.CallAsync(HttpMethod.Delete, $"Patient/{p2}", one)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await project.CallAsync(HttpMethod.Delete, "Patient?family=Intwo", one)).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{p2}", project.AdminToken)).Status);

        // a reference to a resource the caller cannot see is refused like one to a missing resource.
        var (referenceStatus, _) = await project.CallAsync(HttpMethod.Post, "Encounter", one,
            $$$"""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/{{{p2}}}"},"serviceProvider":{"reference":"Organization/{{{o1}}}"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, referenceStatus);

        // a transaction with one forbidden entry writes nothing.
        var transaction = $$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"resource":{{{Patient(o1, "Txone")}}},"request":{"method":"POST","url":"Patient"}},
              {"resource":{{{Patient(o2, "Txtwo")}}},"request":{"method":"POST","url":"Patient"}}]}
            """;
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, string.Empty, one, transaction)).Status);
        Assert.Empty(PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Patient?family=Txone", project.AdminToken)).Body));
    }

    [Fact]
    public async Task A_caregiver_reaches_the_patients_of_their_access_entries_and_nothing_else()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Caregivers");
        await project.PutPolicyAsync("caregiver", """
            [{"resourceType":"Patient","criteria":"Patient?_id=%patient.id","readonly":true},
             {"resourceType":"Observation","criteria":"Observation?subject=%patient","interaction":["read","search","create"]}]
            """);
        var patients = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            patients.Add(await project.CreateAsync($$"""{"resourceType":"Patient","name":[{"family":"Cared{{i}}"}]}"""));
            await project.CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patients[i]}}}"}}""");
        }

        var caregiver = await project.MemberAsync("daughter",
            $"[{PolicyProject.Access("caregiver", ("patient", $"Patient/{patients[0]}"))},{PolicyProject.Access("caregiver", ("patient", $"Patient/{patients[1]}"))}]");
        string Observation(string patient) => $$$"""{"resourceType":"Observation","status":"final","code":{"text":"note"},"subject":{"reference":"Patient/{{{patient}}}"}}""";

        Assert.Equal(patients.Take(2).Select(p => $"Patient/{p}").Order(StringComparer.Ordinal), PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Patient", caregiver)).Body));
        Assert.Equal(2, PolicyProject.Ids((await project.CallAsync(HttpMethod.Get, "Observation", caregiver)).Body).Count);
        Assert.Equal(HttpStatusCode.NotFound, (await project.CallAsync(HttpMethod.Get, $"Patient/{patients[2]}", caregiver)).Status);
        Assert.Equal(HttpStatusCode.Created, (await project.CallAsync(HttpMethod.Post, "Observation", caregiver, Observation(patients[1]))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, "Observation", caregiver, Observation(patients[2]))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Put, $"Patient/{patients[0]}", caregiver,
            $$"""{"resourceType":"Patient","id":"{{patients[0]}}","active":false}""")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Encounter", caregiver)).Status);
    }

    [Fact]
    public async Task A_read_only_partner_reads_everything_and_writes_nothing_even_inside_a_batch()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Partner");
        await project.PutPolicyAsync("partner", """[{"resourceType":"*","readonly":true}]""");
        var patient = await project.CreateAsync("""{"resourceType":"Patient","active":true}""");
        var partner = await project.MemberAsync("partner", $"[{PolicyProject.Access("partner")}]");

        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", partner)).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}/_history", partner)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, "Patient", partner, """{"resourceType":"Patient"}""")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Put, $"Patient/{patient}", partner, $$"""{"resourceType":"Patient","id":"{{patient}}"}""")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Delete, $"Patient/{patient}", partner)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "AccessPolicy/partner", partner)).Status);
        var (status, batch) = await project.CallAsync(HttpMethod.Post, string.Empty, partner, $$$"""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"request":{"method":"GET","url":"Patient/{{{patient}}}"}},
              {"request":{"method":"DELETE","url":"Patient/{{{patient}}}"}}]}
            """);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["200", "403"], batch.GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("response").GetProperty("status").GetString()![..3]));
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", project.AdminToken)).Status);
    }

    /// <summary>The markers are text no timestamp or generated id can contain (a bare "555" was once found in meta.lastUpdated).</summary>
    [Fact]
    public async Task Hidden_fields_never_leave_cannot_be_searched_and_survive_writes_with_read_only_fields()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Hidden fields");
        await project.PutPolicyAsync("front-desk", """
            [{"resourceType":"Patient","hiddenFields":["birthDate","telecom","contact.name"],"readonlyFields":["identifier"]},
             {"resourceType":"Observation","hiddenFields":["value[x]","component.value[x]","performer"]}]
            """);
        var patient = await project.CreateAsync("""
            {"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"42"}],"birthDate":"1970-01-01","gender":"female",
             "telecom":[{"system":"phone","value":"tel-555-secret"}],"contact":[{"name":{"family":"Secret"},"gender":"male"}]}
            """);
        var observation = await project.CreateAsync($$$"""
            {"resourceType":"Observation","status":"final","code":{"text":"bp"},"subject":{"reference":"Patient/{{{patient}}}"},"valueQuantity":{"value":120},
             "component":[{"code":{"text":"sys"},"valueQuantity":{"value":120}},{"code":{"text":"note"},"valueString":"secret"}]}
            """);
        var desk = await project.MemberAsync("desk", $"[{PolicyProject.Access("front-desk")}]");

        void AssertHidden(JsonElement resource)
        {
            var text = resource.GetRawText();
            Assert.DoesNotContain("1970-01-01", text, StringComparison.Ordinal);
            Assert.DoesNotContain("tel-555", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Secret", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"value\":120", text, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        }

        var (_, read) = await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", desk);
        AssertHidden(read);
        Assert.Equal("male", read.GetProperty("contact")[0].GetProperty("gender").GetString());
        AssertHidden((await project.CallAsync(HttpMethod.Get, $"Patient/{patient}/_history/1", desk)).Body);
        AssertHidden((await project.CallAsync(HttpMethod.Get, $"Patient/{patient}/_history", desk)).Body);
        AssertHidden((await project.CallAsync(HttpMethod.Get, $"Observation?_include=Observation:subject", desk)).Body);
        using (var xmlResponse = await project.SendAsync(HttpMethod.Get, $"Observation/{observation}?_format=xml", desk))
        {
            Assert.DoesNotContain("value=\"120\"", await xmlResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Patient?birthdate=1970-01-01", desk)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Patient?phone=tel-555-secret", desk)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Patient?_sort=birthdate", desk)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Observation?value-quantity=120", desk)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Observation?subject:Patient.birthdate=1970", desk)).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, "Patient?gender=female", desk)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Observation?_include=Observation:performer", desk)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Patient?_revinclude=Observation:performer", desk)).Status);

        // An update built from what the desk sees (and a changed identifier) keeps every hidden and read-only field.
        var (updateStatus, updated) = await project.CallAsync(HttpMethod.Put, $"Patient/{patient}", desk, $$"""
            {"resourceType":"Patient","id":"{{patient}}","identifier":[{"system":"urn:mrn","value":"forged"}],"gender":"other",
             "contact":[{"gender":"male"}]}
            """);
        Assert.Equal(HttpStatusCode.OK, updateStatus);
        AssertHidden(updated);
        var (_, patched) = await project.CallAsync(HttpMethod.Patch, $"Patient/{patient}", desk,
            """[{"op":"add","path":"/active","value":true}]""", "application/json-patch+json");
        AssertHidden(patched);
        var (_, stored) = await project.CallAsync(HttpMethod.Get, $"Patient/{patient}", project.AdminToken);
        Assert.Equal("other", stored.GetProperty("gender").GetString());
        Assert.True(stored.GetProperty("active").GetBoolean());
        Assert.Equal("1970-01-01", stored.GetProperty("birthDate").GetString());
        Assert.Equal("tel-555-secret", stored.GetProperty("telecom")[0].GetProperty("value").GetString());
        Assert.Equal("Secret", stored.GetProperty("contact")[0].GetProperty("name").GetProperty("family").GetString());
        Assert.Equal("42", stored.GetProperty("identifier")[0].GetProperty("value").GetString());

        // Dropping the element that holds a hidden field would erase it: refused.
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Put, $"Patient/{patient}", desk,
            $$"""{"resourceType":"Patient","id":"{{patient}}","gender":"other"}""")).Status);
        var (_, observationAfter) = await project.CallAsync(HttpMethod.Patch, $"Observation/{observation}", desk,
            """[{"op":"replace","path":"/status","value":"amended"}]""", "application/json-patch+json");
        AssertHidden(observationAfter);
        var (_, storedObservation) = await project.CallAsync(HttpMethod.Get, $"Observation/{observation}", project.AdminToken);
        Assert.Equal("secret", storedObservation.GetProperty("component")[1].GetProperty("valueString").GetString());
        Assert.Equal(120, storedObservation.GetProperty("valueQuantity").GetProperty("value").GetInt32());
    }

    [Fact]
    public async Task Write_constraints_see_before_and_after_and_name_the_rule_they_refuse_with()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Write constraints");
        await project.PutPolicyAsync("no-edits-after-final", """
            [{"resourceType":"Observation","writeConstraint":[
               {"language":"text/fhirpath","expression":"%before.exists().not() or %before.status != 'final'"},
               {"language":"text/fhirpath","expression":"%after.status = 'preliminary' or %after.status = 'final'"}]}]
            """);
        var clinician = await project.MemberAsync("clinician", $"[{PolicyProject.Access("no-edits-after-final")}]");
        string Observation(string status, string? id = null) =>
            $$$"""{"resourceType":"Observation",{{{(id is null ? string.Empty : $"\"id\":\"{id}\",")}}}"status":"{{{status}}}","code":{"text":"bp"}}""";

        var (createdStatus, created) = await project.CallAsync(HttpMethod.Post, "Observation", clinician, Observation("preliminary"));
        Assert.Equal(HttpStatusCode.Created, createdStatus);
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Post, "Observation", clinician, Observation("registered"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Put, $"Observation/{id}", clinician, Observation("final", id))).Status);
        var (refusedStatus, refused) = await project.CallAsync(HttpMethod.Put, $"Observation/{id}", clinician, Observation("preliminary", id));
        Assert.Equal(HttpStatusCode.Forbidden, refusedStatus);
        Assert.Contains("AccessPolicy/no-edits-after-final resource[0]", refused.GetProperty("issue")[0].GetProperty("diagnostics").GetString(), StringComparison.Ordinal);
        Assert.Equal("final", (await project.CallAsync(HttpMethod.Get, $"Observation/{id}", project.AdminToken)).Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Address_rules_are_checked_on_every_request_from_the_client_address_the_host_forwards()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Office only");
        using (var put = await project.SendAsync(HttpMethod.Put, "AccessPolicy/office", project.AdminToken, """
            {"resourceType":"AccessPolicy","id":"office","resource":[{"resourceType":"Patient"}],
             "ipAccessRule":[{"name":"office","value":"198.51.100.0/24","action":"allow"},{"name":"rest","value":"0.0.0.0/0","action":"block"}]}
            """))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        using (var bad = await project.SendAsync(HttpMethod.Put, "AccessPolicy/bad", project.AdminToken,
            """{"resourceType":"AccessPolicy","resource":[],"ipAccessRule":[{"value":"not-an-address","action":"allow"}]}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        var member = await project.MemberAsync("office worker", $"[{PolicyProject.Access("office")}]");
        async Task<int> FromAsync(System.Net.IPAddress? peer, string? forwardedFor)
        {
            var context = await app.Server.SendAsync(c =>
            {
                c.Request.Method = "GET";
                c.Request.Path = "/api/fhir/R4/Patient";
                c.Request.Headers.Authorization = $"Bearer {member}";
                c.Connection.RemoteIpAddress = peer;
                if (forwardedFor is not null)
                {
                    c.Request.Headers["X-Forwarded-For"] = forwardedFor;
                }
            });
            return context.Response.StatusCode;
        }

        Assert.Equal(200, await FromAsync(System.Net.IPAddress.Loopback, "203.0.113.1, 198.51.100.7:50123"));
        Assert.Equal(403, await FromAsync(System.Net.IPAddress.Loopback, "198.51.100.7, 203.0.113.9:50123"));
        Assert.Equal(200, await FromAsync(System.Net.IPAddress.Parse("198.51.100.8"), "203.0.113.9"));
        Assert.Equal(403, await FromAsync(System.Net.IPAddress.Parse("203.0.113.9"), "198.51.100.7"));
        Assert.Equal(403, await FromAsync(null, null));
        using var admin = await project.SendAsync(HttpMethod.Get, "Patient", project.AdminToken);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task A_changed_policy_applies_to_the_next_request()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Policy change");
        await project.PutPolicyAsync("changing", """[{"resourceType":"Patient"}]""");
        var member = await project.MemberAsync("member", $"[{PolicyProject.Access("changing")}]");
        Assert.Equal(HttpStatusCode.OK, (await project.CallAsync(HttpMethod.Get, "Patient", member)).Status);

        await project.PutPolicyAsync("changing", """[{"resourceType":"Organization"}]""");

        Assert.Equal(HttpStatusCode.Forbidden, (await project.CallAsync(HttpMethod.Get, "Patient", member)).Status);
    }
}
