using System.Globalization;
using System.Net;
using Enclave.Domain.Fhir;
using Enclave.Functions.Fhir;
using Enclave.Storage.Tenancy;
using Hl7.Fhir.Model;
using Microsoft.Azure.Cosmos;

namespace Enclave.Functions.Invocation;

/// <summary>
/// The one mapping from an error to its answer: each <see cref="ErrorKind"/> has one HTTP status and one
/// OperationOutcome issue code, and every exception an expected condition raises has one kind. An exception this
/// map does not know is a fault: 500, and the answer quotes the correlation id, never the exception's text.
/// </summary>
public static class ErrorMap
{
    /// <summary>The HTTP status and the issue code of <paramref name="kind"/>.</summary>
    public static (int Status, OperationOutcome.IssueType Code) Of(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => (StatusCodes.Status400BadRequest, OperationOutcome.IssueType.Invalid),
        ErrorKind.TooCostly => (StatusCodes.Status400BadRequest, OperationOutcome.IssueType.TooCostly),
        ErrorKind.Unauthenticated => (StatusCodes.Status401Unauthorized, OperationOutcome.IssueType.Login),
        ErrorKind.Forbidden => (StatusCodes.Status403Forbidden, OperationOutcome.IssueType.Forbidden),
        ErrorKind.NotFound => (StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotFound),
        ErrorKind.UnknownType => (StatusCodes.Status404NotFound, OperationOutcome.IssueType.NotSupported),
        ErrorKind.MethodNotAllowed => (StatusCodes.Status405MethodNotAllowed, OperationOutcome.IssueType.NotSupported),
        ErrorKind.NotAcceptable => (StatusCodes.Status406NotAcceptable, OperationOutcome.IssueType.NotSupported),
        ErrorKind.Conflict => (StatusCodes.Status409Conflict, OperationOutcome.IssueType.Conflict),
        ErrorKind.Duplicate => (StatusCodes.Status409Conflict, OperationOutcome.IssueType.Duplicate),
        ErrorKind.Busy => (StatusCodes.Status409Conflict, OperationOutcome.IssueType.Transient),
        ErrorKind.Gone => (StatusCodes.Status410Gone, OperationOutcome.IssueType.Deleted),
        ErrorKind.PreconditionFailed => (StatusCodes.Status412PreconditionFailed, OperationOutcome.IssueType.Conflict),
        ErrorKind.TooLarge => (StatusCodes.Status413PayloadTooLarge, OperationOutcome.IssueType.TooLong),
        ErrorKind.UriTooLong => (StatusCodes.Status414UriTooLong, OperationOutcome.IssueType.TooLong),
        ErrorKind.UnsupportedMedia => (StatusCodes.Status415UnsupportedMediaType, OperationOutcome.IssueType.NotSupported),
        ErrorKind.RateLimited => (StatusCodes.Status429TooManyRequests, OperationOutcome.IssueType.Throttled),
        ErrorKind.HeadersTooLarge => (StatusCodes.Status431RequestHeaderFieldsTooLarge, OperationOutcome.IssueType.TooLong),
        ErrorKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, OperationOutcome.IssueType.Transient),
        _ => (StatusCodes.Status500InternalServerError, OperationOutcome.IssueType.Exception),
    };

    /// <summary>
    /// The answer for <paramref name="kind"/>: an OperationOutcome with <paramref name="message"/>, with the kind's
    /// status unless <paramref name="status"/> keeps one already set (an empty 5xx from the server, say).
    /// </summary>
    public static IResult Answer(ErrorKind kind, string message, int? status = null)
    {
        var (kindStatus, code) = Of(kind);
        return FhirJson.Outcome(code, message, status ?? kindStatus);
    }

    /// <summary>The kind of <paramref name="exception"/> and what the client may be told of it.</summary>
    public static (ErrorKind Kind, string Message, TimeSpan? RetryAfter) Classify(Exception exception, string correlationId) => exception switch
    {
        TenancyConflictException => (ErrorKind.Conflict, "It already exists (created meanwhile by another request); retry.", null),
        CommitTooLargeException tooLarge => (tooLarge.Limit > 0 ? ErrorKind.TooCostly : ErrorKind.TooLarge, tooLarge.Message, null),
        InvalidSearchException invalid => (ErrorKind.Invalid, invalid.Message, null),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (ErrorKind.TooLarge, "The body is too large.", null),
        BadHttpRequestException => (ErrorKind.Invalid, "The request could not be read.", null),
        StoreThrottledException { Unavailable: false } throttled =>
            (ErrorKind.RateLimited, "The project's database is busy; retry later (see Retry-After).", throttled.RetryAfter ?? TimeSpan.FromSeconds(1)),
        StoreThrottledException throttled =>
            (ErrorKind.Unavailable, "The database is unavailable; retry later (see Retry-After).", throttled.RetryAfter ?? TimeSpan.FromSeconds(5)),
        CosmosException { StatusCode: HttpStatusCode.TooManyRequests } cosmos =>
            (ErrorKind.RateLimited, "The project's database is busy; retry later (see Retry-After).", cosmos.RetryAfter ?? TimeSpan.FromSeconds(1)),
        CosmosException { StatusCode: HttpStatusCode.RequestEntityTooLarge } =>
            (ErrorKind.TooLarge, "The write is too large to store: a resource, with its search index, must stay well under 2 MB.", null),
        CosmosException { StatusCode: HttpStatusCode.ServiceUnavailable } =>
            (ErrorKind.Unavailable, "The database is unavailable; retry later (see Retry-After).", TimeSpan.FromSeconds(5)),
        _ => (ErrorKind.Unexpected, UnexpectedMessage(correlationId), null),
    };

    /// <summary>All a client is told of a fault: that it happened, and the id it is logged under.</summary>
    public static string UnexpectedMessage(string correlationId) =>
        $"The server could not answer this request. Quote correlation id {correlationId} when reporting it.";

    /// <summary>The answer for <paramref name="exception"/> (see <see cref="Classify"/>), with <c>Retry-After</c> where it applies.</summary>
    public static IResult Answer(Exception exception, HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var (kind, message, retryAfter) = Classify(exception, http.TraceIdentifier);
        if (retryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return Answer(kind, message);
    }
}
