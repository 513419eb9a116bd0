using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Enclave.Api.Tests.Hosting;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Api.Tests.Audit;

/// <summary>
/// The guarantee of the read path (ADR 0005): an answer is sent only once its audit record is durable. The app runs in
/// a process of its own, is killed the moment a read is answered, and the record is in Cosmos DB all the same.
/// </summary>
public sealed class AuditCrashTests
{
    [Fact]
    public async Task A_reads_record_survives_a_crash_right_after_the_answer()
    {
        string projectId, trace, patient;
        CosmosOptions cosmos;
        await using (var handler = await HandlerProcess.StartAsync())
        {
            var http = handler.Http;
            var superAdmin = await AuthClient.TokenAsync(http, handler.Settings["Auth:BootstrapClientId"]!, handler.Settings["Auth:BootstrapClientSecret"]!);
            var project = await AuthClient.CreateProjectAsync(http, superAdmin, "Audit crash");
            projectId = project.ProjectId;
            var token = await AuthClient.TokenAsync(http, project.ClientId, project.Secret);
            using var created = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4/Patient", token, AuthClient.Body("""{"resourceType":"Patient","active":true}"""));
            patient = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

            using var read = await AuthClient.SendAsync(http, HttpMethod.Get, $"/api/fhir/R4/Patient/{patient}", token);
            trace = AuditRecords.Trace(read);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            cosmos = new CosmosOptions
            {
                Endpoint = new Uri(handler.Settings["Cosmos:Endpoint"]!),
                Key = handler.Settings["Cosmos:Key"],
                DatabaseName = handler.Settings["Cosmos:DatabaseName"]!,
                ConnectionMode = Enum.Parse<ConnectionMode>(handler.Settings["Cosmos:ConnectionMode"]!),
                LimitToEndpoint = bool.Parse(handler.Settings["Cosmos:LimitToEndpoint"]!),
            };
        } // Killed here, straight after the answer: nothing gets to finish.

        using var client = CosmosClientFactory.Create(cosmos, new Azure.Identity.DefaultAzureCredential());
        var container = client.GetContainer(cosmos.DatabaseName, cosmos.ContainerName);
        try
        {
            var record = Assert.Single(await AuditRecords.OfAsync(container, projectId, trace));
            Assert.Equal([$"Patient/{patient}/_history/1"], record.Entities);
            Assert.Equal("FhirRead", record.Function);
        }
        finally
        {
            using (await client.GetDatabase(cosmos.DatabaseName).DeleteStreamAsync())
            {
            }
        }
    }
}
