using System.Globalization;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// The write interactions: create, update, patch and delete, each a loop of read, plan, commit and retry.
public sealed partial class FhirRepository
{
    /// <summary>create: a server-assigned id, version 1. With <paramref name="ifNoneExist"/> (a query string), an existing match is returned instead, atomically.</summary>
    public async Task<Result> CreateAsync(Resource resource, string? ifNoneExist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var patients = await SettleAccountsAsync(resource, null, null, cancellationToken);
        var (authorized, denied) = Authorize("create", null, resource);
        if (denied is not null)
        {
            return denied;
        }

        resource = authorized!;
        if (await CheckReferencesAsync(resource, null, patients, cancellationToken) is { } refused)
        {
            return refused;
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var guards = new List<CommitGuard>();
            if (ifNoneExist is not null)
            {
                var (existing, guard, refusal) = await MatchForCreateAsync(resource.TypeName, ifNoneExist, cancellationToken);
                if (refusal is not null)
                {
                    return refusal;
                }

                if (existing is not null)
                {
                    return Present(new Result(200, existing));
                }

                guards.Add(guard!);
            }

            resource.Id = NewId();
            var (committed, tooLarge) = await CommitAsync([new ResourceWrite(NewVersion(resource, 1), null)], guards, cancellationToken);
            if (tooLarge is not null)
            {
                return tooLarge;
            }

            if (committed is [var stored])
            {
                return Present(new Result(201, stored));
            }
        }

        return TooManyAttempts();
    }

    /// <summary>update (create-on-update with the client's id allowed); a no-op update keeps the version.</summary>
    public async Task<Result> UpdateAsync(Resource resource, int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        var referencesChecked = false;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Store.ReadAsync(resource.TypeName, resource.Id, cancellationToken);
            if (current is null && await LinkedReadOnlyAsync(resource.TypeName, resource.Id, cancellationToken) is { } readOnly)
            {
                return readOnly;
            }

            var patients = await SettleAccountsAsync(resource, current, null, cancellationToken);
            var (authorized, denied) = Authorize(current is { Deleted: false } ? "update" : "create", current, resource);
            if (denied is not null)
            {
                return denied;
            }

            if (!referencesChecked && await CheckReferencesAsync(authorized!, null, patients, cancellationToken) is { } refused)
            {
                return refused;
            }

            referencesChecked = true;
            if (await TryWriteAsync(authorized!, current, ifMatchVersion, cancellationToken) is { } result)
            {
                return result;
            }
        }

        return TooManyAttempts();
    }

    /// <summary>
    /// patch: <paramref name="apply"/> turns the current JSON into the new resource (or an outcome saying why not).
    /// The write is pinned to the version that was patched, so a concurrent write makes the patch start again from
    /// the new version (or answer 412 when the client pinned a version with If-Match).
    /// </summary>
    public async Task<Result> PatchAsync(string resourceType, string id, Func<string, (Resource? Patched, OperationOutcome? Refusal)> apply,
        int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(apply);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Store.ReadAsync(resourceType, id, cancellationToken);
            if (current is null)
            {
                return await LinkedReadOnlyAsync(resourceType, id, cancellationToken) ?? NotFound(resourceType, id);
            }

            if (TypeRefusal(resourceType, "patch") is { } forbidden)
            {
                return forbidden;
            }

            // The patch sees what the caller sees: it cannot test or copy a hidden field.
            if (Visible(current, "read") is not { } view)
            {
                return NotFound(resourceType, id);
            }

            if (current.Deleted)
            {
                return new Result(410, current, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"{resourceType}/{id} was deleted."));
            }

            var (patched, refusal) = apply(view.Json);
            if (refusal is not null)
            {
                return new Result(400, null, refusal);
            }

            if (patched!.TypeName != resourceType || patched.Id != id)
            {
                return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, "A patch cannot change the resource type or id."));
            }

            var patients = await SettleAccountsAsync(patched, current, null, cancellationToken);
            var (authorized, denied) = Authorize("patch", current, patched);
            if (denied is not null)
            {
                return denied;
            }

            if (await CheckReferencesAsync(authorized!, null, patients, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (await TryWriteAsync(authorized!, current, ifMatchVersion, cancellationToken) is { } result)
            {
                return result;
            }
        }

        return TooManyAttempts();
    }

    /// <summary>delete: a new version that records the deletion; history keeps every version.</summary>
    public async Task<Result> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Store.ReadAsync(resourceType, id, cancellationToken);
            if (current is null)
            {
                return await LinkedReadOnlyAsync(resourceType, id, cancellationToken) ?? new Result(204);
            }

            if (current.Deleted)
            {
                return new Result(204);
            }

            // A resource the caller cannot see is deleted exactly as much as a missing one: not at all, 204.
            if (Authorize("delete", current, null) is { Refusal: { } denied })
            {
                return denied.Status == 404 ? new Result(204) : denied;
            }

            var (committed, tooLarge) = await CommitAsync([new ResourceWrite(Deletion(current), current)], [], cancellationToken);
            if (tooLarge is not null)
            {
                return tooLarge;
            }

            if (committed is [var stored])
            {
                return new Result(204, stored);
            }
        }

        return TooManyAttempts();
    }

    /// <summary>
    /// Writes <paramref name="resource"/> as the version after <paramref name="current"/> (the version the caller
    /// read). Null when another write came first and the caller should read again; 412 when the client pinned a
    /// version that is not (or no longer) current.
    /// </summary>
    private async Task<Result?> TryWriteAsync(Resource resource, StoredResource? current, int? ifMatchVersion, CancellationToken cancellationToken)
    {
        if (ifMatchVersion is { } expected && current?.VersionId != expected)
        {
            return new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict,
                $"If-Match asked for version {expected}; the current version is {current?.VersionId.ToString(CultureInfo.InvariantCulture) ?? "none"}."));
        }

        if (Unchanged(current, resource))
        {
            return Present(new Result(200, current));
        }

        var (committed, tooLarge) = await CommitAsync([new ResourceWrite(NextVersion(resource, current), current)], [], cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (committed is [var stored])
        {
            return Present(new Result(current is null ? 201 : 200, stored));
        }

        return ifMatchVersion is null
            ? null
            : new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Another update came first."));
    }

    /// <summary>Commits to the caller's project; a write the store cannot hold is a 413 answer, not an exception.</summary>
    private async Task<(IReadOnlyList<StoredResource>? Committed, Result? TooLarge)> CommitAsync(IReadOnlyList<ResourceWrite> writes,
        IReadOnlyList<CommitGuard> guards, CancellationToken cancellationToken)
    {
        try
        {
            return (await Store.CommitAsync(writes, guards, cancellationToken), null);
        }
        catch (CommitTooLargeException ex)
        {
            return (null, TooLarge(ex));
        }
    }

    /// <summary>The answer to a write the store cannot hold: 413 for a resource too large, 400 for too many operations.</summary>
    private static Result TooLarge(CommitTooLargeException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new(exception.Answer.Status, null, FhirErrors.Outcome(exception.Answer.Code, exception.Message));
    }

    /// <summary>403 when the resource is not in the project but in a linked one (read-only); null when it is in neither.</summary>
    internal async Task<Result?> LinkedReadOnlyAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            if (await Linked(linked).ReadAsync(resourceType, id, cancellationToken) is not null)
            {
                return new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden,
                    $"{resourceType}/{id} belongs to a linked project: it can be read, not written."));
            }
        }

        return null;
    }

    internal static Result TooManyAttempts() =>
        new(409, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Too many concurrent updates; retry."));
}
