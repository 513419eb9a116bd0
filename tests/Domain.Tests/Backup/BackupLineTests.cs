using System.Text;
using System.Text.Json.Nodes;
using Enclave.Domain.Backup;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Backup;

public sealed class BackupLineTests
{
    private static readonly DateTimeOffset s_t = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_version_round_trips_with_its_supersession_up_to_the_backups_instant_only()
    {
        var json = """{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2026-05-01T11:00:00Z"},"active":true}""";
        var replacedBefore = new StoredResource("Patient", "p1", 3, s_t.AddHours(-1), false, json, string.Empty) { SupersededAt = s_t.AddMinutes(-1) };
        var replacedAfter = replacedBefore with { SupersededAt = s_t.AddMinutes(1) };

        var (before, _) = BackupLine.Read(BackupLine.Write(replacedBefore, s_t));
        var (after, _) = BackupLine.Read(BackupLine.Write(replacedAfter, s_t));

        Assert.Equal(("Patient", "p1", 3, s_t.AddHours(-1), false, (DateTimeOffset?)s_t.AddMinutes(-1)),
            (before!.Type, before.Id, before.VersionId, before.LastUpdated, before.Deleted, before.SupersededAt));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), before.Resource));
        Assert.Null(after!.SupersededAt); // replaced after T: it was the current version at T
        Assert.DoesNotContain((byte)'\n', BackupLine.Write(replacedBefore, s_t));
    }

    [Fact]
    public void A_deletion_has_no_resource()
    {
        var deletion = new StoredResource("Observation", "o1", 2, s_t, true, string.Empty, string.Empty);

        var (line, problem) = BackupLine.Read(BackupLine.Write(deletion, s_t));

        Assert.Null(problem);
        Assert.True(line!.Deleted);
        Assert.Null(line.Resource);
        Assert.DoesNotContain("resource\"", Encoding.UTF8.GetString(BackupLine.Write(deletion, s_t)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"type":"NoSuchType","id":"a","versionId":1,"lastUpdated":"2026-01-01T00:00:00Z","deleted":true}""")]
    [InlineData("""{"type":"Patient","id":"a/b","versionId":1,"lastUpdated":"2026-01-01T00:00:00Z","deleted":true}""")]
    [InlineData("""{"type":"Patient","id":"a","versionId":0,"lastUpdated":"2026-01-01T00:00:00Z","deleted":true}""")]
    [InlineData("""{"type":"Patient","id":"a","versionId":1,"lastUpdated":"2026-01-01T00:00:00Z","deleted":false}""")]
    [InlineData("""{"type":"Patient","id":"a","versionId":1,"lastUpdated":"2026-01-01T00:00:00Z","deleted":false,"resource":{"resourceType":"Observation"}}""")]
    [InlineData("""{"type":"Patient","id":"a","versionId":"1","lastUpdated":"2026-01-01T00:00:00Z","deleted":true}""")]
    [InlineData("""{"type":"Patient","id":"a","versionId":1,"lastUpdated":"yesterday","deleted":true}""")]
    public void A_line_that_is_not_a_backup_line_is_refused_with_why(string text)
    {
        var (line, problem) = BackupLine.Read(Encoding.UTF8.GetBytes(text));

        Assert.Null(line);
        Assert.False(string.IsNullOrEmpty(problem));
    }
}
