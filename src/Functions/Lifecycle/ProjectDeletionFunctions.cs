using Enclave.Domain.Export;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Invocation;
using Enclave.Storage.Tenancy;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Lifecycle;

/// <summary>
/// Deleting a project, for super admins, in two steps: <c>POST admin/projects/{projectId}/$delete</c> without a body
/// answers a confirmation token (valid 15 minutes, single use); the same request with <c>{"confirm": token}</c> starts
/// the deletion job on the work queue (202), and <c>GET</c> of the same address says how far it got. The job removes
/// every document of the project's partition, its memberships, clients and their index documents elsewhere, and its
/// export files. The system project cannot be deleted.
/// </summary>
public sealed class ProjectDeletionFunctions(ITenancyStore tenancy, CosmosProjectDeletion deletion, IExportScheduler work, CallerResolver callers)
{
    private const string Route = "admin/projects/{projectId}/$delete";

    /// <summary>The message kind of a deletion step on the work queue.</summary>
    public const string MessageKind = "project-deletion";

    private sealed record Confirmation(string? Confirm);

    /// <summary><c>POST admin/projects/{projectId}/$delete</c>: a request (no body) or its confirmation (<c>{"confirm": token}</c>).</summary>
    [Function("DeleteProject")]
    [Audited("delete", "D")]
    [Requires(CallerRole.SuperAdmin, "Only super admins delete projects.")]
    public async Task<IResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request, string projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (body, problem) = await RequestJson.ReadAsync<Confirmation>(request);
        if (problem is not null)
        {
            return problem;
        }

        if (await tenancy.GetProjectAsync(projectId, cancellationToken) is not { } project)
        {
            // Once its project document is gone a confirmed deletion still has its job: a retried confirmation sees it and
            // resumes a job that stopped (its steps were poisoned, say) before the partition was empty.
            if (body?.Confirm is null || await deletion.ProgressAsync(projectId, cancellationToken) is not { } progress)
            {
                return ErrorMap.Answer(ErrorKind.NotFound, $"Project {projectId} is not known.");
            }

            if (!progress.Complete)
            {
                await work.ScheduleAsync(new ExportJobMessage(projectId, "deletion", MessageKind), TimeSpan.Zero, cancellationToken);
            }

            return Accepted(http, projectId);
        }

        if (project.SuperAdmin)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "The system project cannot be deleted.");
        }

        if (body?.Confirm is not { Length: > 0 } token)
        {
            var (confirmation, expiresAt) = await deletion.RequestAsync(projectId, http.Caller().Membership.Id, cancellationToken);
            return Results.Json(new
            {
                project = Reference.To(nameof(Project), projectId),
                confirm = confirmation,
                expiresAt,
                next = $"POST this address again with {{\"confirm\": \"…\"}} before {expiresAt:O} to delete {project.Name} and everything in it.",
            });
        }

        if (!await deletion.ConfirmAsync(projectId, token, cancellationToken))
        {
            return ErrorMap.Answer(ErrorKind.Forbidden, "The confirmation is not the one this project's deletion request answered, or it expired; request the deletion again.");
        }

        await work.ScheduleAsync(new ExportJobMessage(projectId, "deletion", MessageKind), TimeSpan.Zero, cancellationToken);
        callers.Forget(projectId);
        return Accepted(http, projectId);
    }

    /// <summary><c>GET admin/projects/{projectId}/$delete</c>: 202 with <c>X-Progress</c> while the job runs, 200 when the project is gone, 404 when no deletion was confirmed.</summary>
    [Function("ProjectDeletionStatus")]
    [Audited("read", "R")]
    [Requires(CallerRole.SuperAdmin, "Only super admins delete projects.")]
    public async Task<IResult> StatusAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request, string projectId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await deletion.ProgressAsync(projectId, cancellationToken) is not { } progress)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"No deletion of project {projectId} was confirmed.");
        }

        request.HttpContext.Response.Headers["X-Progress"] = $"{progress.Deleted} documents deleted";
        return progress.Complete
            ? Results.Json(new { project = Reference.To(nameof(Project), projectId), deleted = progress.Deleted, complete = true })
            : Results.StatusCode(StatusCodes.Status202Accepted);
    }

    private static IResult Accepted(HttpContext http, string projectId)
    {
        http.Response.Headers.ContentLocation = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/api/admin/projects/{projectId}/$delete";
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }
}
