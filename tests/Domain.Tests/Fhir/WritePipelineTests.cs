using Enclave.Domain.Access;
using Enclave.Domain.Fhir;
using Enclave.Storage.Memory;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Domain.Tests.Fhir;

/// <summary>
/// Every write passes one pipeline (read current, plan, commit, retry): a REST write and the same write as the one
/// entry of a transaction answer with the same status and outcome code, because both are planned by
/// <see cref="FhirRepository.PlanAsync"/>. Over <see cref="MemoryResourceStore"/>.
/// </summary>
public sealed class WritePipelineTests
{
    private const string Project = "p";
    private static readonly DateTimeOffset s_now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, int, string?> Cases => new()
    {
        { "create", 201, null },
        { "unchanged update", 200, null },
        { "stale If-Match", 412, "conflict" },
        { "patch of a deleted resource", 410, "deleted" },
        { "patch of a missing resource", 404, "not-found" },
        { "patch changing the id", 400, "invalid" },
        { "delete of a missing resource", 204, null },
        { "reference to a missing resource", 400, "invalid" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_rest_write_and_a_transaction_entry_answer_alike(string write, int status, string? code)
    {
        var rest = await RestAsync(write);
        var entry = await TransactionAsync(write);

        Assert.Equal((status, code), rest);
        Assert.Equal((status, code), entry);
    }

    [Fact]
    public async Task A_plan_writes_nothing_and_a_plan_that_lost_the_race_commits_nothing()
    {
        var repository = await SeededAsync();
        var intent = new WriteIntent(WriteKind.Update, "Patient", "a") { Resource = new Patient { Id = "a", Gender = AdministrativeGender.Male } };
        var first = await repository.PlanAsync(intent with { Resource = (Resource)intent.Resource!.DeepCopy() }, null, default);
        var second = await repository.PlanAsync(intent, null, default);

        Assert.Null(first.Answer);
        Assert.Equal("1", ReadVersion(await repository.ReadAsync("Patient", "a", default)));

        var (committed, tooLarge) = await repository.CommitAsync([first], [], default);
        Assert.Null(tooLarge);
        Assert.Equal(200, Assert.Single(committed!).Status);

        // The second plan replaces version 1, which is no longer current: the commit fails and the caller plans again.
        var (lost, _) = await repository.CommitAsync([second], [], default);
        Assert.Null(lost);
        Assert.Equal("2", ReadVersion(await repository.ReadAsync("Patient", "a", default)));
    }

    [Fact]
    public async Task A_plan_with_an_answer_cannot_be_committed()
    {
        var repository = await SeededAsync();
        var noOp = await repository.PlanAsync(new WriteIntent(WriteKind.Delete, "Patient", "missing"), null, default);

        Assert.Equal(204, noOp.Answer!.Status);
        Assert.False(noOp.Refused);
        await Assert.ThrowsAsync<ArgumentException>(() => repository.CommitAsync([noOp], [], default));
    }

    [Theory]
    [InlineData("A", 200)]
    [InlineData("NONE", 400)]
    [InlineData("DUP", 412)]
    public async Task A_conditional_reference_in_a_transaction_must_match_exactly_one(string value, int status)
    {
        var repository = await SeededAsync();
        foreach (var (id, mrn) in new[] { ("a", "A"), ("d1", "DUP"), ("d2", "DUP") })
        {
            Assert.Equal(id == "a" ? 200 : 201, (await repository.UpdateAsync(new Patient { Id = id, Gender = AdministrativeGender.Female, Identifier = [new Identifier("urn:mrn", mrn)] }, null, default)).Status);
        }

        var observation = Observation();
        observation.Subject = new ResourceReference($"Patient?identifier=urn:mrn|{value}");
        var written = new List<FhirRepository.Result>();
        var answer = await new BundleProcessor(repository).ProcessAsync(
            new Bundle { Type = Bundle.BundleType.Transaction, Entry = [Entry(Bundle.HTTPVerb.POST, "Observation", observation)] },
            result =>
            {
                written.Add(result);
                return new Bundle.EntryComponent();
            }, default);

        Assert.Equal(status, answer.Status);
        if (status == 200)
        {
            Assert.Contains("\"reference\":\"Patient/a\"", Assert.Single(written).Resource!.Json, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("must match exactly one", answer.Outcome!.Issue[0].Diagnostics, StringComparison.Ordinal);
        }
    }

    private static async Task<(int, string?)> RestAsync(string write)
    {
        var repository = await SeededAsync();
        var result = write switch
        {
            "create" => await repository.CreateAsync(new Patient { Gender = AdministrativeGender.Other }, null, default),
            "unchanged update" => await repository.UpdateAsync(Seed(), null, default),
            "stale If-Match" => await repository.UpdateAsync(new Patient { Id = "a", Gender = AdministrativeGender.Male }, 9, default),
            "patch of a deleted resource" => await DeletedThenAsync(repository, () => repository.PatchAsync("Patient", "a", FhirPathPatch.Applier(GenderPatch()), null, default)),
            "patch of a missing resource" => await repository.PatchAsync("Patient", "missing", FhirPathPatch.Applier(GenderPatch()), null, default),
            "patch changing the id" => await repository.PatchAsync("Patient", "a", FhirPathPatch.Applier(IdPatch()), null, default),
            "delete of a missing resource" => await repository.DeleteAsync("Patient", "missing", default),
            "reference to a missing resource" => await repository.CreateAsync(Observation(), null, default),
            _ => throw new ArgumentException(write, nameof(write)),
        };
        return (result.Status, Code(result.Outcome));
    }

    private static async Task<(int, string?)> TransactionAsync(string write)
    {
        var repository = await SeededAsync();
        if (write == "patch of a deleted resource")
        {
            Assert.Equal(204, (await repository.DeleteAsync("Patient", "a", default)).Status);
        }

        var entry = write switch
        {
            "create" => Entry(Bundle.HTTPVerb.POST, "Patient", new Patient { Gender = AdministrativeGender.Other }),
            "unchanged update" => Entry(Bundle.HTTPVerb.PUT, "Patient/a", Seed()),
            "stale If-Match" => Entry(Bundle.HTTPVerb.PUT, "Patient/a", new Patient { Id = "a", Gender = AdministrativeGender.Male }, "W/\"9\""),
            "patch of a deleted resource" => Entry(Bundle.HTTPVerb.PATCH, "Patient/a", GenderPatch()),
            "patch of a missing resource" => Entry(Bundle.HTTPVerb.PATCH, "Patient/missing", GenderPatch()),
            "patch changing the id" => Entry(Bundle.HTTPVerb.PATCH, "Patient/a", IdPatch()),
            "delete of a missing resource" => Entry(Bundle.HTTPVerb.DELETE, "Patient/missing", null),
            "reference to a missing resource" => Entry(Bundle.HTTPVerb.POST, "Observation", Observation()),
            _ => throw new ArgumentException(write, nameof(write)),
        };
        var answers = new List<FhirRepository.Result>();
        var answer = await new BundleProcessor(repository).ProcessAsync(new Bundle { Type = Bundle.BundleType.Transaction, Entry = [entry] },
            result =>
            {
                answers.Add(result);
                return new Bundle.EntryComponent();
            }, default);
        if (answer.Status != 200)
        {
            Assert.Contains("Bundle.entry[0]", answer.Outcome!.Issue[0].Diagnostics + answer.Outcome.Issue[0].Expression.FirstOrDefault(), StringComparison.Ordinal);
            return (answer.Status, Code(answer.Outcome));
        }

        var single = Assert.Single(answers);
        if (write == "unchanged update")
        {
            Assert.Equal(1, single.Resource!.VersionId);
        }

        return (single.Status, Code(single.Outcome));
    }

    private static async Task<FhirRepository.Result> DeletedThenAsync(FhirRepository repository, Func<Task<FhirRepository.Result>> then)
    {
        Assert.Equal(204, (await repository.DeleteAsync("Patient", "a", default)).Status);
        return await then();
    }

    /// <summary>A project holding Patient/a (female, version 1), written by its admin.</summary>
    private static async Task<FhirRepository> SeededAsync()
    {
        var repository = new FhirRepository(AccessContext.AdminOf(Project), new MemoryResourceStore(new FixedClock(s_now)), new FixedClock(s_now));
        Assert.Equal(201, (await repository.UpdateAsync(Seed(), null, default)).Status);
        return repository;
    }

    private static Patient Seed() => new() { Id = "a", Gender = AdministrativeGender.Female };

    private static Observation Observation() =>
        new() { Status = ObservationStatus.Final, Code = new CodeableConcept("urn:c", "x"), Subject = new ResourceReference("Patient/nope") };

    private static Parameters GenderPatch() => Patch("Patient.gender", new Code("male"));

    private static Parameters IdPatch() => Patch("Patient.id", new Id("b"));

    private static Parameters Patch(string path, DataType value) => new()
    {
        Parameter = [new Parameters.ParameterComponent
        {
            Name = "operation",
            Part = [new() { Name = "type", Value = new Code("replace") }, new() { Name = "path", Value = new FhirString(path) }, new() { Name = "value", Value = value }],
        }],
    };

    private static Bundle.EntryComponent Entry(Bundle.HTTPVerb method, string url, Resource? resource, string? ifMatch = null) =>
        new() { Resource = resource, Request = new Bundle.RequestComponent { Method = method, Url = url, IfMatch = ifMatch } };

    private static string? ReadVersion(FhirRepository.Result read) =>
        ResourceParser.TryParse(read.Resource!.Json, out var resource, out _) ? resource!.Meta?.VersionId : null;

    private static string? Code(OperationOutcome? outcome) =>
        outcome?.Issue[0].Code is { } code ? Hl7.Fhir.Utility.EnumUtility.GetLiteral(code) : null;

    /// <summary>A clock that always reads one instant.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
