using System.Net;
using System.Text.Json;
using Enclave.Api.Tests.Auth;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Api.Tests.Fhir;

/// <summary>Batch and transaction bundles: independent entries, and all-or-nothing commits with resolved references.</summary>
public sealed class BundleTests(EnclaveApiFixture app) : IClassFixture<EnclaveApiFixture>
{
    private static readonly JsonSerializerOptions s_fhir = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    private static Bundle.EntryComponent Post(Resource resource, string? fullUrl = null, string? ifNoneExist = null) => new()
    {
        FullUrl = fullUrl,
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName, IfNoneExist = ifNoneExist },
    };

    private static Bundle.EntryComponent Put(Resource resource, string url, string? ifMatch = null) => new()
    {
        Resource = resource,
        Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = url, IfMatch = ifMatch },
    };

    private static Patient Patient(string mrn) => new() { Identifier = [new Identifier("urn:mrn", mrn)] };

    private static async Task<int> CountAsync(FhirClient client, string type, string criteria) =>
        (await client.SearchAsync(type, [criteria, "_summary=count"]))!.Total ?? -1;

    [Fact]
    public async Task A_transaction_resolves_urn_uuid_and_conditional_references_and_commits_everything()
    {
        var (http, _, client) = await FhirClients.NewProjectAsync(app, "Transaction");
        using (http)
        {
            var existing = await client.CreateAsync(new Practitioner { Identifier = [new Identifier("urn:npi", "N-1")] });
            var toPatch = await client.CreateAsync(new Patient { Identifier = [new Identifier("urn:mrn", "P-1")] });
            var patch = new Parameters();
            patch.AddAddPatchParameter("Patient", "active", new FhirBoolean(true));
            var transaction = new Bundle
            {
                Type = Bundle.BundleType.Transaction,
                Entry =
                [
                    Post(Patient("T-1"), "urn:uuid:5f1b6a2e-0d5e-4c1e-9a0e-2b7d3c4e5f60"),
                    Post(new Observation
                    {
                        Status = ObservationStatus.Final,
                        Code = new CodeableConcept("http://loinc.org", "8867-4"),
                        Subject = new ResourceReference("urn:uuid:5f1b6a2e-0d5e-4c1e-9a0e-2b7d3c4e5f60"),
                        Performer = [new ResourceReference("Practitioner?identifier=urn:npi|N-1")],
                    }),
                    Post(new Practitioner { Identifier = [new Identifier("urn:npi", "N-1")] }, ifNoneExist: "identifier=urn:npi|N-1"),
                    Put(new Patient { Id = "chosen-id", Identifier = [new Identifier("urn:mrn", "T-2")] }, "Patient/chosen-id"),
                    new Bundle.EntryComponent { Resource = patch, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PATCH, Url = "Patient?identifier=urn:mrn|P-1" } },
                ],
            };

            var response = await client.TransactionAsync(transaction);

            Assert.Equal(Bundle.BundleType.TransactionResponse, response!.Type);
            Assert.Equal(["201 Created", "201 Created", "200 OK", "201 Created", "200 OK"], response.Entry.Select(e => e.Response!.Status));
            Assert.True(((Patient)response.Entry[4].Resource!).Active);
            Assert.Equal(toPatch!.Id, response.Entry[4].Resource!.Id);
            var patientId = response.Entry[0].Resource!.Id;
            var observation = Assert.IsType<Observation>(response.Entry[1].Resource);
            Assert.Equal($"Patient/{patientId}", observation.Subject!.Reference);
            Assert.Equal($"Practitioner/{existing!.Id}", observation.Performer[0].Reference);
            Assert.Equal(existing.Id, response.Entry[2].Resource!.Id);
            Assert.Equal("chosen-id", response.Entry[3].Resource!.Id);
            Assert.Equal(1, await CountAsync(client, "Observation", $"subject=Patient/{patientId}"));
            Assert.Equal(1, await CountAsync(client, "Practitioner", "identifier=urn:npi|N-1"));
        }
    }

    [Theory]
    [InlineData("missing reference", HttpStatusCode.BadRequest)]
    [InlineData("stale If-Match", HttpStatusCode.PreconditionFailed)]
    [InlineData("ambiguous conditional update", HttpStatusCode.PreconditionFailed)]
    public async Task A_transaction_whose_last_entry_fails_writes_nothing(string failure, HttpStatusCode expected)
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Transaction failure");
        using (http)
        {
            var patient = await client.CreateAsync(Patient("F-0"));
            await client.CreateAsync(Patient("DUP"));
            await client.CreateAsync(Patient("DUP"));
            await client.UpdateAsync(new Patient { Id = patient!.Id, Identifier = patient.Identifier, Active = true });
            var last = failure switch
            {
                "missing reference" => Post(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x"), Subject = new ResourceReference("Patient/nope") }),
                "stale If-Match" => Put(new Patient { Id = patient.Id, Active = false }, $"Patient/{patient.Id}", "W/\"1\""),
                _ => Put(Patient("DUP"), "Patient?identifier=urn:mrn|DUP"),
            };
            var transaction = new Bundle
            {
                Type = Bundle.BundleType.Transaction,
                Entry = [Post(Patient("F-1")), Post(Patient("F-2")), Put(new Patient { Id = "f3", Identifier = [new Identifier("urn:mrn", "F-3")] }, "Patient/f3"), last],
            };

            using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", token,
                AuthClient.Body(JsonSerializer.Serialize(transaction, s_fhir)));

            Assert.Equal(expected, response.StatusCode);
            Assert.Contains("Bundle.entry[3]", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await CountAsync(client, "Patient", "identifier=urn:mrn|F-1,urn:mrn|F-2,urn:mrn|F-3"));
            Assert.Equal("2", (await client.ReadAsync<Patient>($"Patient/{patient.Id}"))!.Meta!.VersionId);
        }
    }

    [Fact]
    public async Task A_transaction_too_large_for_one_atomic_write_is_refused_with_the_limit()
    {
        var (http, token, client) = await FhirClients.NewProjectAsync(app, "Transaction size");
        using (http)
        {
            var transaction = new Bundle { Type = Bundle.BundleType.Transaction, Entry = [.. Enumerable.Range(0, 51).Select(i => Post(Patient($"BIG-{i}")))] };

            using var response = await AuthClient.SendAsync(http, HttpMethod.Post, "/api/fhir/R4", token,
                AuthClient.Body(JsonSerializer.Serialize(transaction, s_fhir)));
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("at most 100", body, StringComparison.Ordinal);
            Assert.Equal(0, await CountAsync(client, "Patient", "identifier:missing=false"));
        }
    }

    [Fact]
    public async Task Batch_entries_succeed_or_fail_on_their_own()
    {
        var (http, _, client) = await FhirClients.NewProjectAsync(app, "Batch");
        using (http)
        {
            var batch = new Bundle
            {
                Type = Bundle.BundleType.Batch,
                Entry =
                [
                    Post(Patient("B-1")),
                    Post(new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x"), Subject = new ResourceReference("Patient/missing") }),
                    new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = "Patient/missing" } },
                    Post(Patient("B-2")),
                ],
            };

            var response = await client.TransactionAsync(batch);

            Assert.Equal(Bundle.BundleType.BatchResponse, response!.Type);
            Assert.Equal(["201", "400", "404", "201"], response.Entry.Select(e => e.Response!.Status!.Split(' ')[0]));
            Assert.Contains("Observation.subject", response.Entry[1].Response!.Outcome!.ToString(), StringComparison.Ordinal);
            Assert.Equal(2, await CountAsync(client, "Patient", "identifier=urn:mrn|B-1,urn:mrn|B-2"));
        }
    }

    [Fact]
    public async Task A_transaction_cannot_reach_another_project()
    {
        var (httpA, _, clientA) = await FhirClients.NewProjectAsync(app, "Transaction A");
        var (httpB, _, clientB) = await FhirClients.NewProjectAsync(app, "Transaction B");
        using (httpA)
        using (httpB)
        {
            var a = await clientA.CreateAsync(Patient("WALL"));
            var transaction = new Bundle
            {
                Type = Bundle.BundleType.Transaction,
                Entry =
                [
                    Put(new Patient { Id = a!.Id, Active = false }, $"Patient/{a.Id}"),
                    new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.DELETE, Url = "Patient?identifier=urn:mrn|WALL" } },
                ],
            };

            var response = await clientB.TransactionAsync(transaction);
            var stillA = await clientA.ReadAsync<Patient>($"Patient/{a.Id}");
            var ownCopyOfB = await clientB.ReadAsync<Patient>($"Patient/{a.Id}");

            Assert.Equal(["201 Created", "204 No Content"], response!.Entry.Select(e => e.Response!.Status));
            Assert.Equal("1", stillA!.Meta!.VersionId);
            Assert.Equal("urn:mrn", stillA.Identifier[0].System);
            Assert.False(ownCopyOfB!.Active);
            Assert.Empty(ownCopyOfB.Identifier);
        }
    }
}
