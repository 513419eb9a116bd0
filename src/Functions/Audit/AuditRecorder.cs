using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Functions.Access;
using Enclave.Functions.Auth;
using Enclave.Functions.Invocation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Audit;

/// <summary>
/// The invocation step's part of the audit trail: it starts every audited function's record (function, interaction,
/// address, correlation id, the resource its route names, a GET's query), attributes it once the caller is known, and
/// before the answer leaves appends what no commit carried. The answer is sent only once its record is durable: when
/// the append fails, the client gets a 503 instead, never an unrecorded answer.
/// </summary>
public sealed partial class AuditRecorder(IAuditTrail trail, AuditSealer sealer, CallerResolver callers, IOptions<AuditOptions> options, TimeProvider time,
    ILogger<AuditRecorder> logger)
{
    /// <summary>The status a client that went away is recorded with (nginx's "client closed request").</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>Starts the record of <paramref name="entry"/>'s invocation; null when the function is not audited.</summary>
    public static InteractionAudit? Begin(HttpContext http, FunctionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Audited is not { } audited)
        {
            return null;
        }

        var audit = http.RequestServices.GetRequiredService<InteractionAudit>();
        audit.Begin(entry.Name, audited.Codes, http.TraceIdentifier, AddressRules.ClientAddress(http)?.ToString());
        if (RouteEntity(http.Request.RouteValues, entry.Route) is { } entity)
        {
            audit.Concerns(entity);
        }

        if (HttpMethods.IsGet(http.Request.Method) && http.Request.Query.Count > 0)
        {
            audit.Searched(http.Request.RouteValues["type"] as string,
                http.Request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty))));
        }

        return audit;
    }

    /// <summary>Attributes the record to <paramref name="caller"/>'s project and membership.</summary>
    public void Attribute(InteractionAudit? audit, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        audit?.Attribute(caller.ProjectId, Agent(caller.Membership), options.Value.RetentionFor(caller.AuditRetentionDays));
    }

    /// <summary>
    /// Attributes an anonymous function's record (a sign-in, a token request) to the project and membership its
    /// credentials name, whether or not they prove right: a refused request of a known client or login is recorded in
    /// its project, as long as its membership still exists.
    /// </summary>
    public async Task AttributeAsync(HttpContext http, string projectId, string membershipId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.RequestServices.GetService<InteractionAudit>() is not { } audit)
        {
            return;
        }

        // A membership (or project) that is gone has nowhere to be recorded: a deleted project's partition must stay empty.
        if (await callers.ResolveAsync(projectId, membershipId, cancellationToken) is { } caller)
        {
            Attribute(audit, caller);
        }
    }

    /// <summary>The agent of <paramref name="membership"/>: the membership, its profile and its User or ClientApplication.</summary>
    public static AuditAgent Agent(Domain.Tenancy.ProjectMembership membership)
    {
        ArgumentNullException.ThrowIfNull(membership);
        return new AuditAgent(membership.Id, membership.Profile?.Value, membership.User.Value, null);
    }

    /// <summary>
    /// Appends what is left of <paramref name="audit"/>'s record(s) for <paramref name="answer"/> (sent with
    /// <paramref name="status"/>, or the answer's own status) and returns the answer to send: <paramref name="answer"/>,
    /// or a 503 when the record could not be stored.
    /// </summary>
    public async Task<IResult> CompleteAsync(HttpContext http, InteractionAudit audit, IResult answer, int? status = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(answer);
        if (http.Items.ContainsKey(Metering.QuotaGate.Unrecorded))
        {
            return answer; // a quota refusal of a minute whose first one is recorded: the project's usage counts it (ADR 0006)
        }

        var code = status ?? StatusOf(answer);
        var entries = audit.Complete(code, Refusal(code));
        if (audit.ProjectId is not { } projectId)
        {
            return answer; // Nobody to attribute it to (a bad token, an unknown client): the logs have it, keyed by the correlation id.
        }

        if (entries.Count > 0)
        {
            try
            {
                using var timeout = new CancellationTokenSource(options.Value.AppendTimeout, time);
                if (await trail.For(projectId).AppendAsync(entries, timeout.Token))
                {
                    entries = []; // sealed as they were written: nothing for the sealer
                }
            }
            catch (Exception e) when (e is StoreThrottledException or OperationCanceledException or InvalidOperationException or HttpRequestException
                or Microsoft.Azure.Cosmos.CosmosException)
            {
                // A throttled or unavailable database is answered as anywhere else (429 or 503 with Retry-After); the rest is a 503 too.
                LogAppendFailed(logger, e, projectId, entries.Count);
                http.RequestServices.GetService<Metering.QuotaGate>()?.RecordFailed(http); // a quota refusal's minute is recorded by its next refusal instead
                if (e is StoreThrottledException)
                {
                    return ErrorMap.Answer(e, http);
                }

                http.Response.Headers.RetryAfter = "1";
                return ErrorMap.Answer(ErrorKind.Unavailable, "The interaction could not be recorded in the audit trail, so it is not answered; retry.");
            }
        }

        sealer.Touch(projectId, [.. audit.CommittedRecords, .. entries.Select(e => e.Event.Id)]); // records a write's batch carried are sealed here
        return answer;
    }

    /// <summary>The status <paramref name="answer"/> is sent with.</summary>
    public static int StatusOf(IResult answer) => answer switch
    {
        IStatusCodeHttpResult { StatusCode: { } code } => code,
        ChallengeHttpResult => StatusCodes.Status401Unauthorized,
        ForbidHttpResult => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status200OK,
    };

    /// <summary>The FHIR issue code a status stands for in a record (what <see cref="ErrorMap"/> answers with it).</summary>
    private static string? Refusal(int status) => status switch
    {
        < 400 => null,
        400 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 => "not-found",
        405 or 406 or 415 => "not-supported",
        409 or 412 => "conflict",
        410 => "deleted",
        413 or 414 or 431 => "too-long",
        422 => "processing",
        429 => "throttled",
        ClientClosedRequest => "incomplete",
        503 => "transient",
        _ => "exception",
    };

    /// <summary>
    /// The resource a route names: <c>{type}/{id}[/_history/{vid}]</c>, <c>Type/{id}</c> on a route of a fixed type,
    /// the project of an admin route, the job of an export route.
    /// </summary>
    private static string? RouteEntity(RouteValueDictionary values, string? route)
    {
        var id = values["id"] as string;
        if (values["jobId"] is string job)
        {
            return AuditEvents.ExportJob(job);
        }

        if (values["type"] is string type && id is not null)
        {
            return values["vid"] is string vid ? $"{type}/{id}/_history/{vid}" : $"{type}/{id}";
        }

        if (id is not null && route is not null)
        {
            var segments = route.Split('/');
            var at = Array.IndexOf(segments, "{id}");
            return at > 0 ? $"{segments[at - 1]}/{id}" : null;
        }

        return values["projectId"] is string project ? $"Project/{project}" : null;
    }

    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "Could not append {Count} audit records to project {ProjectId}; the answer is withheld")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, string projectId, int count);
}
