using System.Text;
using Enclave.Domain.Backup;

namespace Enclave.Domain.Tests.Backup;

/// <summary>What a restore makes of one backup line it read: a version to store, or why the line is skipped.</summary>
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
    public void A_string_holding_an_escaped_lone_surrogate_skips_the_line_instead_of_failing_the_restore()
    {
        var (version, problem) = RestoreStep.Restored(Line("""{"resourceType":"Patient","id":"p1","name":[{"family":"x\ud800y"}]}"""), new RestoreIds(null));

        Assert.Null(version);
        Assert.Contains("Patient/p1 version 1 holds a string that is not valid Unicode", problem, StringComparison.Ordinal);
    }
}
