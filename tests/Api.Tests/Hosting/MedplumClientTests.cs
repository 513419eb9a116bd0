using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Testing;

namespace Enclave.Api.Tests.Hosting;

/// <summary>
/// Medplum's own client (<c>@medplum/core</c>, tests/Medplum) against the app running as its own local host, with
/// <c>baseUrl = &lt;host&gt;/api/</c>: a project's client signs in and creates, reads, searches and runs a
/// transaction, then runs a bulk export (<c>bulkExport</c> with <c>pollStatusOnAccepted</c>) and downloads every
/// file; an invited user signs in with a password. What the client reports is checked through the API.
/// </summary>
public sealed class MedplumClientTests
{
    private static readonly string s_folder = Path.Combine(LocalEmulators.RepositoryRoot, "tests", "Medplum");

    [Fact]
    public async Task Medplum_client_signs_in_creates_reads_searches_runs_a_transaction_and_a_bulk_export()
    {
        await using var app = await HandlerProcess.StartAsync();
        var http = app.Http;
        var superAdmin = await AuthClient.TokenAsync(http, app.Settings["Auth:BootstrapClientId"]!, app.Settings["Auth:BootstrapClientSecret"]!);
        var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Medplum client");
        var admin = await AuthClient.TokenAsync(http, project.ClientId, project.Secret);
        var email = $"{Guid.NewGuid():N}@example.org";
        const string Password = "correct horse battery staple";
        using (var invited = await AuthClient.PostAsync(http, $"/api/admin/projects/{project.ProjectId}/invite", admin, new { email, password = Password, firstName = "Grace" }))
        {
            Assert.Equal(HttpStatusCode.Created, invited.StatusCode);
        }

        var output = await RunClientAsync(new()
        {
            ["ENCLAVE_BASE_URL"] = $"{http.BaseAddress!.ToString().TrimEnd('/')}/api/",
            ["ENCLAVE_CLIENT_ID"] = project.ClientId,
            ["ENCLAVE_CLIENT_SECRET"] = project.Secret,
            ["ENCLAVE_EMAIL"] = email,
            ["ENCLAVE_PASSWORD"] = Password,
        });

        var created = output.GetProperty("created").GetString()!;
        Assert.StartsWith("Medplum", output.GetProperty("readFamily").GetString(), StringComparison.Ordinal);
        Assert.Equal([created], output.GetProperty("searchIds").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal("transaction-response", output.GetProperty("transactionType").GetString());
        Assert.All(output.GetProperty("transactionStatuses").EnumerateArray(), s => Assert.StartsWith("201", s.GetString(), StringComparison.Ordinal));
        var transactionPatient = output.GetProperty("transactionPatient").GetString()!;
        Assert.Equal($"Patient/{transactionPatient}", output.GetProperty("observationSubject").GetString());
        var exported = output.GetProperty("exportOutput");
        var exportedPatients = exported.GetProperty("Patient").GetProperty("ids").EnumerateArray().Select(i => i.GetString()).ToList();
        Assert.Equal(new[] { created, transactionPatient }.Order(StringComparer.Ordinal), exportedPatients.Order(StringComparer.Ordinal));
        Assert.Equal(2, exported.GetProperty("Patient").GetProperty("count").GetInt32());
        Assert.Single(exported.GetProperty("Observation").GetProperty("ids").EnumerateArray());
        Assert.True(output.GetProperty("userSignedIn").GetBoolean());
        Assert.Equal(created, output.GetProperty("userRead").GetString());

        // What the client was told is what the project holds.
        using var stored = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Observation?subject=Patient/{transactionPatient}", admin);
        using var bundle = JsonDocument.Parse(await stored.Content.ReadAsStringAsync());
        Assert.Equal(1, bundle.RootElement.GetProperty("entry").GetArrayLength());
    }

    private static Task<JsonElement> RunClientAsync(Dictionary<string, string> environment) =>
        NodeScript.RunAsync(s_folder, "medplum-client.mjs", TimeSpan.FromMinutes(2), environment);
}
