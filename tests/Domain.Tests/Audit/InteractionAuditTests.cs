using System.Text.Json;
using Enclave.Domain.Access;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Storage.Memory;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Time.Testing;

namespace Enclave.Domain.Tests.Audit;

/// <summary>The write pipeline puts the interaction's record into its own commit; what no commit carried is left for the invocation step.</summary>
public sealed class InteractionAuditTests
{
    private const string Project = "p-audit";
    private static readonly DateTimeOffset s_now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static (FhirRepository Repository, MemoryResourceStore Store, InteractionAudit Audit) Setup(AuditInteraction interaction, string function)
    {
        var clock = new FakeTimeProvider(s_now);
        var store = new MemoryResourceStore(clock);
        var audit = new InteractionAudit(clock);
        audit.Begin(function, interaction, "trace-1", "10.1.2.3");
        audit.Attribute(Project, new AuditAgent("m1", "Practitioner/p1", "ClientApplication/c1", null), TimeSpan.FromDays(7));
        return (new FhirRepository(AccessContext.AdminOf(Project), store, clock, audit), store, audit);
    }

    private static AuditEvent Event(AuditEntry entry) => JsonSerializer.Deserialize<AuditEvent>(entry.Event.Json, ResourceParser.Options)!;

    [Fact]
    public async System.Threading.Tasks.Task A_create_commits_its_record_with_the_new_version()
    {
        var (repository, store, audit) = Setup(AuditInteraction.Rest("create", "C"), "FhirCreate");

        var created = await repository.CreateAsync(new Patient { Active = true }, null, default);

        var entry = Assert.Single(store.AuditRecords(Project));
        var auditEvent = Event(entry);
        Assert.Equal(201, created.Status);
        Assert.True(audit.Recorded);
        Assert.Empty(audit.Complete(201, null));
        Assert.Equal($"Patient/{created.Resource!.Id}/_history/1", auditEvent.Entity.Single().What!.Reference);
        Assert.Equal(AuditEvent.AuditEventOutcome.N0, auditEvent.Outcome);
        Assert.Equal(AuditEvent.AuditEventAction.C, auditEvent.Action);
        Assert.Equal("m1", auditEvent.Agent[0].AltId);
        Assert.Equal("Practitioner/p1", auditEvent.Agent[0].Who!.Reference);
        Assert.Equal("10.1.2.3", auditEvent.Agent[0].Network!.Address);
        Assert.Equal("ClientApplication/c1", auditEvent.Agent[1].Who!.Reference);
        Assert.Equal(Project, auditEvent.Source.Site);
        Assert.Equal(["create", "FhirCreate"], auditEvent.Subtype.Select(c => c.Code));
        Assert.Equal(TimeSpan.FromDays(7), entry.Retention);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_refused_write_commits_nothing_and_leaves_its_record_for_the_invocation_step()
    {
        var (repository, store, audit) = Setup(AuditInteraction.Rest("update", "U"), "FhirUpdate");
        await repository.UpdateAsync(new Patient { Id = "a", Active = true }, null, default);
        var (second, secondStore, secondAudit) = Setup(AuditInteraction.Rest("update", "U"), "FhirUpdate");

        var stale = await second.UpdateAsync(new Patient { Id = "b", Active = true }, ifMatchVersion: 3, default);

        Assert.Equal(412, stale.Status);
        Assert.Empty(secondStore.AuditRecords(Project));
        var left = Event(Assert.Single(secondAudit.Complete(412, "conflict")));
        Assert.Equal(AuditEvent.AuditEventOutcome.N4, left.Outcome);
        Assert.Equal("412 conflict", left.OutcomeDesc);
        Assert.Single(store.AuditRecords(Project));
    }

    [Fact]
    public async System.Threading.Tasks.Task AuditEvents_cannot_be_written_through_the_repository()
    {
        var (repository, store, _) = Setup(AuditInteraction.Rest("create", "C"), "FhirCreate");

        var created = await repository.CreateAsync(new AuditEvent { Recorded = s_now }, null, default);
        var updated = await repository.UpdateAsync(new AuditEvent { Id = "x", Recorded = s_now }, null, default);
        var deleted = await repository.DeleteAsync("AuditEvent", "x", default);

        Assert.Equal([405, 405, 405], new[] { created.Status, updated.Status, deleted.Status });
        Assert.Empty(store.AuditRecords(Project));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_batch_leaves_a_record_per_entry_and_one_for_itself()
    {
        var (repository, store, audit) = Setup(AuditInteraction.Rest("batch", "E"), "FhirBundle");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Batch,
            Entry =
            [
                new Bundle.EntryComponent { Resource = new Patient { Active = true }, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new Bundle.EntryComponent { Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.GET, Url = "Patient/missing" } },
            ],
        };

        var answer = await new BundleProcessor(repository).ProcessAsync(bundle, r => new Bundle.EntryComponent(), default);
        var left = audit.Complete(answer.Status, null).Select(Event).ToList();

        var committed = Event(Assert.Single(store.AuditRecords(Project)));
        Assert.Equal("create", committed.Subtype[0].Code);
        Assert.Equal("201", committed.OutcomeDesc);
        Assert.Equal(2, left.Count);
        Assert.Equal(("read", "404 not-found", "Patient/missing"), (left[0].Subtype[0].Code, left[0].OutcomeDesc, left[0].Entity.Single().What!.Reference));
        Assert.Equal(("batch", "200"), (left[1].Subtype[0].Code, left[1].OutcomeDesc));
    }

    [Fact]
    public async System.Threading.Tasks.Task A_transaction_is_one_record_naming_every_entry()
    {
        var (repository, store, audit) = Setup(AuditInteraction.Rest("batch", "E"), "FhirBundle");
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Transaction,
            Entry =
            [
                new Bundle.EntryComponent { FullUrl = "urn:uuid:1", Resource = new Patient { Active = true }, Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Patient" } },
                new Bundle.EntryComponent { Resource = new Observation { Status = ObservationStatus.Final, Code = new CodeableConcept("http://loinc.org", "1-1"), Subject = new ResourceReference("urn:uuid:1") },
                    Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = "Observation" } },
            ],
        };

        var answer = await new BundleProcessor(repository).ProcessAsync(bundle, r => new Bundle.EntryComponent(), default);

        var record = Event(Assert.Single(store.AuditRecords(Project)));
        Assert.Equal(200, answer.Status);
        Assert.Equal("transaction", record.Subtype[0].Code);
        Assert.Equal(2, record.Entity.Count);
        Assert.Empty(audit.Complete(200, null));
    }

    [Fact]
    public void An_unattributed_invocation_records_nothing()
    {
        var audit = new InteractionAudit(new FakeTimeProvider(s_now));
        audit.Begin("Token", AuditInteraction.Login, "t", null);

        Assert.Empty(audit.Complete(401, "login"));
        Assert.Null(audit.ForCommit([]));
    }
}
