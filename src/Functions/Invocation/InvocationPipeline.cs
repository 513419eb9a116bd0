using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Enclave.Functions.Access;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Enclave.Functions.Metering;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Metering;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Enclave.Functions.Invocation;

/// <summary>
/// The step every HTTP function passes, in both hosts (the worker middleware in Azure, the local host's dispatcher
/// here): authentication and the caller, unless the function is <see cref="AnonymousAttribute"/>; the caller's
/// address rules; the function's <see cref="RequiresAttribute"/> role; FHIR format negotiation; then the function,
/// with every exception it raises answered by <see cref="ErrorMap"/>. Nothing here is per function: a function
/// cannot forget a check.
/// </summary>
public sealed partial class InvocationPipeline(ILogger<InvocationPipeline> logger)
{
    /// <summary>
    /// Runs <paramref name="function"/> for <paramref name="http"/> if the caller is admitted; the answer to send, once
    /// the invocation's audit record is durable (<see cref="AuditRecorder"/>).
    /// </summary>
    public async Task<IResult> RunAsync(HttpContext http, FunctionEntry entry, Func<Task<IResult>> function)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(function);
        var audit = AuditRecorder.Begin(http, entry);
        var auditing = audit is null ? null : http.RequestServices.GetRequiredService<AuditRecorder>();
        var meter = StoreMeter.Begin();
        var body = new CountingStream(http.Response.Body);
        http.Response.Body = body;
        IResult answer;
        int? status = null;
        try
        {
            answer = await AdmitAsync(http, entry, auditing, audit) ?? await function();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            (answer, status) = (Results.Empty, AuditRecorder.ClientClosedRequest); // The client went away; nobody reads an answer.
        }
        catch (Exception exception)
        {
            var (kind, _, _) = ErrorMap.Classify(exception, http.TraceIdentifier);
            if (kind == ErrorKind.Unexpected)
            {
                LogUnexpected(logger, exception, entry.Name, http.TraceIdentifier);
            }
            else
            {
                LogExpected(logger, entry.Name, kind, http.TraceIdentifier);
            }

            answer = ErrorMap.Answer(exception, http);
        }

        var final = audit is null ? answer : await auditing!.CompleteAsync(http, audit, answer, status);
        Metered(http, entry, meter, meter.ProjectId ?? audit?.ProjectId, body);
        return final;
    }

    /// <summary>
    /// An admin's answer carries what its store calls cost (<c>x-enclave-request-charge</c>, <c>x-enclave-store-calls</c>:
    /// the project's share of the calls made for it, its audit record's included); once it is sent, the project's usage counts it.
    /// </summary>
    private static void Metered(HttpContext http, FunctionEntry entry, StoreMeter meter, string? projectId, CountingStream body)
    {
        // Only to admins: what a read cost could tell a member restricted by a policy that a hidden resource exists.
        if (http.RequestServices.GetService<InvocationCaller>() is { IsAuthenticated: true } invocation && (invocation.Caller.Membership.Admin || invocation.Caller.SuperAdmin))
        {
            http.Response.Headers[RequestChargeHeader] = meter.RequestCharge.ToString("0.###", CultureInfo.InvariantCulture);
            http.Response.Headers[StoreCallsHeader] = meter.Calls.ToString(CultureInfo.InvariantCulture);
        }

        if (projectId is null)
        {
            return;
        }

        var usage = http.RequestServices.GetRequiredService<UsageLedger>();
        var interaction = entry.Audited?.Interaction ?? entry.Name;
        var bytesIn = http.Request.ContentLength ?? 0;
        var refused = http.Items.ContainsKey(typeof(QuotaGate));
        http.Response.OnCompleted(() =>
        {
            usage.RecordRequest(projectId, interaction, meter, bytesIn, body.Written, refused);
            s_requests.Add(1, new TagList { { "project", projectId }, { "interaction", interaction }, { "status", http.Response.StatusCode } });
            return Task.CompletedTask;
        });
    }

    /// <summary>The answer header with the request units the invocation's store calls were charged.</summary>
    public const string RequestChargeHeader = "x-enclave-request-charge";

    /// <summary>The answer header with how many store calls the invocation made.</summary>
    public const string StoreCallsHeader = "x-enclave-store-calls";

    private static readonly Counter<long> s_requests = new Meter(CosmosRequestMetrics.MeterName).CreateCounter<long>("enclave.requests", description: "Answered requests, by project, interaction and status.");

    /// <summary>Null when the caller may run the function; otherwise the refusal.</summary>
    private static async Task<IResult?> AdmitAsync(HttpContext http, FunctionEntry entry, AuditRecorder? auditing, Domain.Audit.InteractionAudit? audit)
    {
        if (!entry.Anonymous)
        {
            var principal = await http.AuthenticateCallerAsync();
            var invocation = http.RequestServices.GetRequiredService<InvocationCaller>();
            if (principal is null || !invocation.IsAuthenticated)
            {
                return Results.Challenge(authenticationSchemes: [JwtBearerDefaults.AuthenticationScheme]);
            }

            http.User = principal;
            var caller = invocation.Caller;
            auditing?.Attribute(audit, caller);
            if (!caller.Policy.AllowsAddress(AddressRules.ClientAddress(http)))
            {
                return ErrorMap.Answer(ErrorKind.Forbidden, "Your access policy does not allow requests from this address.");
            }

            if (entry.Requires is { } requires && !Holds(requires.Role, caller, http))
            {
                return ErrorMap.Answer(ErrorKind.Forbidden, requires.Refusal);
            }

            if (StoreMeter.Current is { } meter)
            {
                meter.ProjectId = caller.ProjectId;
            }

            if (http.RequestServices.GetRequiredService<QuotaGate>().Refusal(http, caller, entry) is { } overQuota)
            {
                return overQuota;
            }
        }

        if (entry.NegotiatesFhirFormat)
        {
            var (format, refusal) = FhirFormat.Negotiate(http.Request);
            if (refusal is not null)
            {
                return refusal;
            }

            http.Items[typeof(FhirFormat)] = format;
        }

        return null;
    }

    /// <summary>Whether <paramref name="caller"/> holds <paramref name="role"/> (on a <c>{projectId}</c> route, for that project).</summary>
    private static bool Holds(CallerRole role, Caller caller, HttpContext http) => role switch
    {
        CallerRole.SuperAdmin => caller.SuperAdmin,
        CallerRole.ProjectAdmin => http.Request.RouteValues["projectId"] is string projectId ? caller.AdministersProject(projectId) : caller.Membership.Admin,
        _ => false,
    };

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Function {Function} failed; correlation id {CorrelationId}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string function, string correlationId);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Function {Function} refused the request ({Kind}); correlation id {CorrelationId}")]
    private static partial void LogExpected(ILogger logger, string function, ErrorKind kind, string correlationId);
}
