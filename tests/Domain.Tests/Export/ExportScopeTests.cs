using Enclave.Domain.Access;
using Enclave.Domain.Export;
using Enclave.Domain.Fhir;
using Enclave.Storage.Memory;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Time.Testing;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Domain.Tests.Export;

/// <summary>
/// What the pages of one type hold, over the memory store: member chunks and several <c>_typeFilter</c>s write each
/// resource once, and deletions are those current at T.
/// </summary>
public sealed class ExportScopeTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly FhirRepository _repository;

    public ExportScopeTests() => _repository = new FhirRepository(AccessContext.AdminOf("p1"), new MemoryResourceStore(_time), _time);

    private async Task<string> CreateAsync(Resource resource)
    {
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var created = await _repository.CreateAsync(resource, null, default);
        Assert.Equal(201, created.Status);
        return created.Resource!.Id;
    }

    private ExportJob Job(ExportRequest request, params ExportTypeProgress[] types) => new()
    {
        Id = "0123456789abcdef0123456789abcdef",
        ProjectId = "p1",
        MembershipId = "m1",
        KickoffKey = "k",
        RequestUrl = "http://x/api/fhir/R4/$export",
        Request = request,
        TransactionTime = _time.GetUtcNow(),
        ExpiresAt = _time.GetUtcNow().AddDays(1),
        Types = types,
    };

    /// <summary>Every line of the type, page after page, as the step would write them.</summary>
    private async Task<List<string>> LinesAsync(ExportJob job, int chunkSize)
    {
        var scope = new ExportScope(job, _repository, 2, chunkSize);
        var progress = job.Types[0];
        var lines = new List<string>();
        for (var pages = 0; !progress.Done; pages++)
        {
            Assert.True(pages < 200, "The type never finished.");
            var page = await scope.NextAsync(progress, int.MaxValue, default);
            Assert.Null(page.Refusal);
            lines.AddRange(page.Lines.Select(l => System.Text.Encoding.UTF8.GetString(l.Span)));
            progress = page.Next;
        }

        return lines;
    }

    private static List<string> Ids(IEnumerable<string> lines) =>
        [.. lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];

    private static Observation Observation(string status, string code, params string[] patients) => new()
    {
        Status = Enum.Parse<ObservationStatus>(status, ignoreCase: true),
        Code = new CodeableConcept("urn:t", code),
        Subject = new ResourceReference($"Patient/{patients[0]}"),
        Performer = [.. patients.Skip(1).Select(p => new ResourceReference($"Patient/{p}"))],
    };

    [Fact]
    public async Task Member_chunks_and_filters_write_each_match_once_whatever_the_chunk_size()
    {
        var members = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            members.Add(await CreateAsync(new Patient()));
        }

        var outsider = await CreateAsync(new Patient());
        var everywhere = await CreateAsync(Observation("final", "a", [.. members]));
        var finalOnly = await CreateAsync(Observation("final", "b", members[3], members[1]));
        var codeOnly = await CreateAsync(Observation("preliminary", "a", members[4], members[0]));
        await CreateAsync(Observation("preliminary", "b", members[2]));
        await CreateAsync(Observation("final", "a", outsider));
        var group = await CreateAsync(new Group { Type = Group.GroupType.Person, Actual = true, Member = [.. members.Select(m => new Group.MemberComponent { Entity = new ResourceReference($"Patient/{m}") })] });
        var (request, _) = ExportRequest.Parse([new("_typeFilter", "Observation?status=final,Observation?code=urn:t|a")], false, ExportLevel.Group, group);
        var job = Job(request! with { GroupVersion = 1 }, new ExportTypeProgress("Observation", null, false, 0, []));

        foreach (var chunkSize in new[] { 1, 2, 5 })
        {
            Assert.Equal(Ids([$$"""{"id":"{{everywhere}}"}""", $$"""{"id":"{{finalOnly}}"}""", $$"""{"id":"{{codeOnly}}"}"""]), Ids(await LinesAsync(job, chunkSize)));
        }
    }

    [Fact]
    public async Task Deletions_are_those_current_at_T_after_since()
    {
        var kept = await CreateAsync(new Patient());
        var deleted = await CreateAsync(new Patient());
        var back = await CreateAsync(new Patient());
        var since = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(204, (await _repository.DeleteAsync("Patient", deleted, default)).Status);
        Assert.Equal(204, (await _repository.DeleteAsync("Patient", back, default)).Status);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.True((await _repository.UpdateAsync(new Patient { Id = back }, null, default)).Status is 200 or 201);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var job = Job(new ExportRequest(["Patient"], since, []), new ExportTypeProgress("Patient", null, false, 0, []) { Deleted = true });
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(204, (await _repository.DeleteAsync("Patient", kept, default)).Status); // after T

        var lines = await LinesAsync(job, 100);

        var urls = lines.SelectMany(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("entry").EnumerateArray())
            .Select(e => e.GetProperty("request").GetProperty("url").GetString()).ToList();
        Assert.Equal([$"Patient/{deleted}"], urls);
    }
}
