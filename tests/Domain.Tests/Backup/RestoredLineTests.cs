using System.Text;
using Enclave.Domain.Backup;
using Enclave.Domain.Fhir;

namespace Enclave.Domain.Tests.Backup;

/// <summary>What a restore makes of one backup line it reads: a version to store, or the reason the restore fails with.</summary>
public sealed class RestoredLineTests
{
    private static (BackupLine? Line, string? Problem) Read(string resource) => BackupLine.Read(Encoding.UTF8.GetBytes(
        $$"""{"type":"Patient","id":"p1","versionId":1,"lastUpdated":"2026-01-01T00:00:00.000Z","resource":{{resource}}}"""));

    [Fact]
    public void A_line_becomes_the_version_with_its_resource_and_index()
    {
        var (line, problem) = Read("""{"resourceType":"Patient","id":"p1","gender":"female"}""");
        Assert.Null(problem);

        var (version, invalid) = RestoreStep.Restored(line!, new RestoreIds(null));

        Assert.Null(invalid);
        Assert.Equal("p1", version!.Id);
        Assert.Contains("\"gender\":\"female\"", version.Json, StringComparison.Ordinal);
        Assert.NotNull(version.Index);
    }

    [Theory]
    [InlineData("""{"resourceType":"Patient","id":"p1","name":[{"family":"x\ud800y"}]}""")]
    [InlineData("""{"resourceType":"Patient","id":"p1","managingOrganization":{"reference":"Organization/o\udc00"}}""")]
    [InlineData("""{"resourceType":"Patient","id":"p1","\ud800":1}""")]
    public void A_line_holding_an_escaped_lone_surrogate_is_refused_with_a_reason_instead_of_throwing(string resource)
    {
        // Before it is parsed: writing it back (or remapping its references) would throw outside the step's checks.
        var (line, problem) = Read(resource);

        Assert.Null(line);
        Assert.Equal(JsonEscapes.Refusal, problem);
    }
}
