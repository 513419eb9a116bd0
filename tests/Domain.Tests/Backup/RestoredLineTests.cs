using System.Text;
using Enclave.Domain.Backup;

namespace Enclave.Domain.Tests.Backup;

/// <summary>What a restore makes of one backup line it read: a version to store, or the reason the restore fails with.</summary>
public sealed class RestoredLineTests
{
    private static BackupLine Line(string resource)
    {
        var (line, problem) = BackupLine.Read(Encoding.UTF8.GetBytes(
            $$"""{"type":"Patient","id":"p1","versionId":1,"lastUpdated":"2026-01-01T00:00:00.000Z","resource":{{resource}}}"""));
        Assert.Null(problem);
        return line!;
    }

    [Fact]
    public void A_line_becomes_the_version_with_its_resource_and_index()
    {
        var (version, problem) = RestoreStep.Restored(Line("""{"resourceType":"Patient","id":"p1","gender":"female"}"""), new RestoreIds(null));

        Assert.Null(problem);
        Assert.Equal("p1", version!.Id);
        Assert.Contains("\"gender\":\"female\"", version.Json, StringComparison.Ordinal);
        Assert.NotNull(version.Index);
    }

    [Fact]
    public void A_string_holding_an_escaped_lone_surrogate_is_refused_with_a_reason_instead_of_throwing()
    {
        var (version, problem) = RestoreStep.Restored(Line("""{"resourceType":"Patient","id":"p1","name":[{"family":"x\ud800y"}]}"""), new RestoreIds(null));

        Assert.Null(version);
        Assert.Contains("Patient/p1 version 1 holds a string that is not valid Unicode", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_holding_an_escaped_lone_surrogate_is_refused_with_a_reason_when_ids_are_remapped()
    {
        var line = Line("""{"resourceType":"Patient","id":"p1","managingOrganization":{"reference":"Organization/o\udc00"}}""");

        var (version, problem) = RestoreStep.Restored(line, new RestoreIds("restore-1"));

        Assert.Null(version);
        Assert.Contains("Patient/p1 version 1 has an id or reference that is not a valid string", problem, StringComparison.Ordinal);
    }
}
