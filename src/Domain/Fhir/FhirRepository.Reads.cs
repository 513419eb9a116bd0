using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// read and vread, in the project and the linked projects that export the type.
public sealed partial class FhirRepository
{
    /// <summary>read: the current version; 410 when it was deleted, 404 when it is in neither the project nor a linked one.</summary>
    public async Task<Result> ReadAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        if (TypeRefusal(resourceType, "read") is { } refused)
        {
            return refused;
        }

        var current = await ReadReachableAsync(resourceType, id, cancellationToken) is { } found ? Visible(found, "read") : null;
        return current switch
        {
            null => NotFound(resourceType, id),
            { Deleted: true } => new Result(410, current, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"{resourceType}/{id} was deleted.")),
            _ => new Result(200, current),
        };
    }

    /// <summary>The current version in the project, else in the first linked project that has it.</summary>
    private async Task<StoredResource?> ReadReachableAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        var current = await Store.ReadAsync(resourceType, id, cancellationToken);
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            if (current is not null)
            {
                break;
            }

            current = await Linked(linked).ReadAsync(resourceType, id, cancellationToken);
        }

        return current;
    }

    /// <summary>vread: one version (a point read).</summary>
    public async Task<Result> VersionReadAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken)
    {
        if (TypeRefusal(resourceType, "vread") is { } refused)
        {
            return refused;
        }

        var version = await Store.ReadVersionAsync(resourceType, id, versionId, cancellationToken);
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            version ??= await Linked(linked).ReadVersionAsync(resourceType, id, versionId, cancellationToken);
        }

        version = version is null ? null : Visible(version, "vread");
        return version switch
        {
            null => NotFound(resourceType, $"{id}/_history/{versionId}"),
            { Deleted: true } => new Result(410, version, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"Version {versionId} of {resourceType}/{id} is a deletion.")),
            _ => new Result(200, version),
        };
    }
}
