using System.Net;
using Enclave.Api.Tests.Access;

namespace Enclave.Api.Tests.Export;

/// <summary>
/// Patient- and Group-level <c>$export</c> through the local host and the emulators: the Patient level holds only
/// what is in patient compartments; the Group level only its members' compartments, searched two members at a time
/// (the fixture's chunk size), each resource once, nothing of another group, and only what a restricted member may search.
/// </summary>
public sealed class LevelExportTests(SmallStepExportFixture app) : IClassFixture<SmallStepExportFixture>
{
    private static string Ref(string patient) => "{\"reference\":\"Patient/" + patient + "\"}";

    private static string Observation(string subject, string status = "final", params string[] performers) =>
        "{\"resourceType\":\"Observation\",\"status\":\"" + status + "\",\"code\":{\"text\":\"x\"},\"subject\":" + Ref(subject)
        + (performers.Length == 0 ? string.Empty : ",\"performer\":[" + string.Join(',', performers.Select(Ref)) + "]") + "}";

    private static string Group(params string[] members) =>
        "{\"resourceType\":\"Group\",\"type\":\"person\",\"actual\":true"
        + (members.Length == 0 ? string.Empty : ",\"member\":[" + string.Join(',', members.Select(m => "{\"entity\":" + Ref(m) + "}")) + "]") + "}";

    /// <summary>A Parameters body: each patient as a valueReference, then _type if given.</summary>
    internal static string Parameters(string? types, params string[] patients) =>
        "{\"resourceType\":\"Parameters\",\"parameter\":[" + string.Join(',', patients.Select(p => "{\"name\":\"patient\",\"valueReference\":" + Ref(p) + "}")
            .Concat(types is null ? [] : ["{\"name\":\"_type\",\"valueString\":\"" + types + "\"}"])) + "]}";

    [Fact]
    public async Task A_patient_export_holds_only_resources_in_patient_compartments_and_patient_restricts_it()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Patient export");
        var patients = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            patients.Add(await project.CreateAsync($$"""{"resourceType":"Patient","name":[{"family":"P{{i}}"}]}"""));
        }

        var observations = new List<string> { await project.CreateAsync(Observation(patients[0])), await project.CreateAsync(Observation(patients[1])) };
        await project.CreateAsync("""{"resourceType":"Observation","status":"final","code":{"text":"no subject"}}""");
        await project.CreateAsync("""{"resourceType":"Organization","name":"Not in a compartment"}""");
        await project.CreateAsync("""{"resourceType":"Practitioner","name":[{"family":"Not in one either"}]}""");

        var all = await ExportApi.ExportAsync(http, project.AdminToken, "Patient/$export");

        Assert.Equal(["Observation", "Patient"], ExportApi.Types(all));
        Assert.Equal(ExportApi.Sorted(patients), await ExportApi.IdsAsync(http, all, "Patient", project.AdminToken));
        Assert.Equal(ExportApi.Sorted(observations), await ExportApi.IdsAsync(http, all, "Observation", project.AdminToken));
        Assert.EndsWith("/fhir/R4/Patient/$export", all.GetProperty("request").GetString(), StringComparison.Ordinal);

        var one = await ExportApi.ExportAsync(http, project.AdminToken, "Patient/$export", Parameters("Patient,Observation", patients[0]));
        Assert.Equal([patients[0]], await ExportApi.IdsAsync(http, one, "Patient", project.AdminToken));
        Assert.Equal([observations[0]], await ExportApi.IdsAsync(http, one, "Observation", project.AdminToken));

        // Not in the Patient compartment: 400, or left out under lenient handling.
        using var organization = await ExportApi.KickoffAsync(http, project.AdminToken, "Patient/$export?_type=Organization");
        using var lenient = await ExportApi.KickoffAsync(http, project.AdminToken, "Patient/$export?_type=Organization,Patient", prefer: "respond-async, handling=lenient");
        using var systemPatient = await ExportApi.KickoffAsync(http, project.AdminToken, "$export", Parameters(null, patients[0]));
        Assert.Equal(HttpStatusCode.BadRequest, organization.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, lenient.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, systemPatient.StatusCode);
        using var unknown = await ExportApi.KickoffAsync(http, project.AdminToken, "Patient/$export", Parameters(null, patients[1], "no-such-patient"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("Patient/no-such-patient", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_export_holds_each_members_compartment_once_across_chunks_and_nothing_of_another_group()
    {
        using var http = app.CreateClient();
        var project = await PolicyProject.CreateAsync(app, http, "Group export");
        var members = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            members.Add(await project.CreateAsync($$"""{"resourceType":"Patient","name":[{"family":"M{{i}}"}]}"""));
        }

        var outsider = await project.CreateAsync("""{"resourceType":"Patient","name":[{"family":"Outsider"}]}""");
        var observations = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            observations.Add(await project.CreateAsync(Observation(members[i], i % 2 == 0 ? "final" : "preliminary")));
        }

        // In all five members' compartments, so in every chunk of two: written once.
        var shared = await project.CreateAsync(Observation(members[0], "final", [.. members.Skip(1)]));
        var outsiders = await project.CreateAsync(Observation(outsider));
        var group = await project.CreateAsync(Group([.. members]));
        var otherGroup = await project.CreateAsync(Group(members[0], outsider));
        var emptyGroup = await project.CreateAsync(Group());

        var manifest = await ExportApi.ExportAsync(http, project.AdminToken, $"Group/{group}/$export?_type=Patient,Observation,Group");

        Assert.Equal(ExportApi.Sorted(members), await ExportApi.IdsAsync(http, manifest, "Patient", project.AdminToken));
        var exported = await ExportApi.IdsAsync(http, manifest, "Observation", project.AdminToken);
        Assert.Equal(ExportApi.Sorted(observations, [shared]), exported);
        Assert.DoesNotContain(outsiders, exported);
        Assert.Equal([group], await ExportApi.IdsAsync(http, manifest, "Group", project.AdminToken)); // not the other group members[0] is in
        Assert.DoesNotContain(otherGroup, manifest.GetRawText(), StringComparison.Ordinal);

        // _typeFilter: the union of two filters, across chunks, each match once (shared matches both and is in every chunk).
        var coded = await project.CreateAsync(Observation(members[4], "preliminary", members[0]).Replace("\"text\":\"x\"", "\"text\":\"coded\"", StringComparison.Ordinal)
            .Replace("\"code\":{", "\"code\":{\"coding\":[{\"system\":\"urn:t\",\"code\":\"c1\"}],", StringComparison.Ordinal));
        var sharedCoded = await project.CreateAsync(Observation(members[0], "final", [.. members.Skip(1)])
            .Replace("\"code\":{", "\"code\":{\"coding\":[{\"system\":\"urn:t\",\"code\":\"c1\"}],", StringComparison.Ordinal));
        var filtered = await ExportApi.ExportAsync(http, project.AdminToken,
            $"Group/{group}/$export?_type=Observation&_typeFilter=Observation%3Fstatus%3Dfinal,Observation%3Fcode%3Durn%3At%7Cc1");
        Assert.Equal(ExportApi.Sorted([observations[0], observations[2], observations[4], shared, coded, sharedCoded]),
            await ExportApi.IdsAsync(http, filtered, "Observation", project.AdminToken));

        // An empty group exports nothing (not every patient).
        var empty = await ExportApi.ExportAsync(http, project.AdminToken, $"Group/{emptyGroup}/$export?_type=Patient,Observation");
        Assert.Equal(0, empty.GetProperty("output").GetArrayLength());

        // patient restricts to members; a non-member is refused.
        var restricted = await ExportApi.ExportAsync(http, project.AdminToken, $"Group/{group}/$export", Parameters("Patient", members[3]));
        Assert.Equal([members[3]], await ExportApi.IdsAsync(http, restricted, "Patient", project.AdminToken));
        using var stranger = await ExportApi.KickoffAsync(http, project.AdminToken, $"Group/{group}/$export", Parameters(null, outsider));
        Assert.Equal(HttpStatusCode.BadRequest, stranger.StatusCode);

        // The group must be readable as read says: unknown → 404, a type the policy does not allow → 403.
        using var unknown = await ExportApi.KickoffAsync(http, project.AdminToken, "Group/no-such-group/$export");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        await project.PutPolicyAsync("no-groups", """[{"resourceType":"Patient"},{"resourceType":"Observation"}]""");
        var noGroups = await project.MemberAsync("no groups", $"[{PolicyProject.Access("no-groups")}]");
        using var forbidden = await ExportApi.KickoffAsync(http, noGroups, $"Group/{group}/$export");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        // A restricted member exports only what it may search, without its hidden fields.
        await project.PutPolicyAsync("final-only", """
            [{"resourceType":"Patient"},{"resourceType":"Group"},{"resourceType":"Observation","criteria":"Observation?status=final","hiddenFields":["code"]}]
            """);
        var finalOnly = await project.MemberAsync("final only", $"[{PolicyProject.Access("final-only")}]");
        var mine = await ExportApi.ExportAsync(http, finalOnly, $"Group/{group}/$export?_type=Observation");
        Assert.Equal(ExportApi.Sorted([observations[0], observations[2], observations[4], shared, sharedCoded]), await ExportApi.IdsAsync(http, mine, "Observation", finalOnly));
        Assert.All(await ExportApi.LinesAsync(http, mine, "Observation", finalOnly), o => Assert.False(o.TryGetProperty("code", out _)));

        // A policy hiding a field that places resources in compartments cannot search by compartment (search refuses
        // _compartment for it), so a Group export passes that type over, as it does any type the member may not search.
        await project.PutPolicyAsync("no-performer", """[{"resourceType":"Group"},{"resourceType":"Observation","hiddenFields":["performer"]}]""");
        var noPerformer = await project.MemberAsync("no performer", $"[{PolicyProject.Access("no-performer")}]");
        var none = await ExportApi.ExportAsync(http, noPerformer, $"Group/{group}/$export?_type=Observation,Group");
        Assert.Equal(["Group"], ExportApi.Types(none));
    }
}
