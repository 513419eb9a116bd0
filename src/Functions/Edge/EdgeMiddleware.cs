using Enclave.Functions.Invocation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Task = System.Threading.Tasks.Task;

namespace Enclave.Functions.Edge;

/// <summary>
/// The first thing every request passes: a correlation id on every answer, the size limits of
/// <see cref="EdgeLimitsOptions"/> (414, 431, 413, 400 as OperationOutcomes), and the answer to an exception raised
/// outside any function (a function's own are answered by <see cref="InvocationPipeline"/>), both through
/// <see cref="ErrorMap"/>: a fault is a 500 OperationOutcome that carries the correlation id and no exception text,
/// while the exception is logged under that id. Answers that would otherwise have no body (401 challenges, 403,
/// unknown routes, 405) get an OperationOutcome too.
/// </summary>
public static partial class EdgeMiddleware
{
    /// <summary>The response header that carries the id under which the request is logged.</summary>
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>The OAuth2 token endpoint, whose clients read RFC 6749 errors (<c>{"error": …}</c>) rather than OperationOutcomes.</summary>
    private const string TokenPath = "/api/oauth2/token";

    /// <summary>Adds the edge; first in the pipeline, before authentication.</summary>
    public static IApplicationBuilder UseEnclaveEdge(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = AnswerExceptionAsync,
            StatusCodeSelector = exception => ErrorMap.Of(ErrorMap.Classify(exception, string.Empty).Kind).Status,
        });
        app.UseStatusCodePages(new StatusCodePagesOptions { HandleAsync = context => AnswerBodilessAsync(context.HttpContext) });
        return app.Use(LimitAsync);
    }

    private static async Task LimitAsync(HttpContext http, RequestDelegate next)
    {
        http.Response.Headers[CorrelationHeader] = http.TraceIdentifier;
        var limits = http.RequestServices.GetRequiredService<IOptions<EdgeLimitsOptions>>().Value;
        var request = http.Request;
        if (request.Path.Value?.Length + request.QueryString.Value?.Length > limits.MaxUrlLength)
        {
            await Refuse(http, ErrorKind.UriTooLong, $"The URL exceeds {limits.MaxUrlLength} characters.");
            return;
        }

        if (HeaderBytes(request.Headers) > limits.MaxHeaderBytes)
        {
            await Refuse(http, ErrorKind.HeadersTooLarge, $"The request headers exceed {limits.MaxHeaderBytes} bytes.");
            return;
        }

        if (request.Query.Sum(p => Math.Max(1, p.Value.Count)) > limits.MaxQueryValues)
        {
            await Refuse(http, ErrorKind.TooCostly, $"The query string holds more than {limits.MaxQueryValues} values.");
            return;
        }

        if (request.ContentLength > limits.MaxBodyBytes)
        {
            await Refuse(http, ErrorKind.TooLarge, $"The body exceeds {limits.MaxBodyBytes} bytes.");
            return;
        }

        // A body without Content-Length (chunked) is cut off at the same size: reading past it throws a 413 BadHttpRequestException.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limits.MaxBodyBytes;
        }

        await next(http);
    }

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            total += name.Length;
            foreach (var value in values)
            {
                total += value?.Length ?? 0;
            }
        }

        return total;
    }

    /// <summary>An exception nothing answered (outside any function, or from the edge itself), answered by <see cref="ErrorMap"/>.</summary>
    private static async Task AnswerExceptionAsync(HttpContext http)
    {
        var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (exception is OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            return; // The client went away; nobody reads an answer.
        }

        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Enclave.Edge");
        var (kind, message, retryAfter) = exception is null
            ? (ErrorKind.Unexpected, ErrorMap.UnexpectedMessage(http.TraceIdentifier), null)
            : ErrorMap.Classify(exception, http.TraceIdentifier);
        if (retryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (kind == ErrorKind.Unexpected)
        {
            LogUnexpected(logger, exception, http.TraceIdentifier, http.Request.Method, http.Request.Path);
        }
        else
        {
            LogRefused(logger, kind, http.TraceIdentifier);
        }

        await Refuse(http, kind, message);
    }

    /// <summary>An OperationOutcome for an error answer that nothing wrote a body for.</summary>
    private static Task AnswerBodilessAsync(HttpContext http)
    {
        var status = http.Response.StatusCode;
        var (kind, message) = status switch
        {
            StatusCodes.Status401Unauthorized => (ErrorKind.Unauthenticated, "A valid bearer token is required (see WWW-Authenticate)."),
            StatusCodes.Status403Forbidden => (ErrorKind.Forbidden, "This token may not do that."),
            StatusCodes.Status404NotFound => (ErrorKind.NotFound, $"Nothing is served at {http.Request.Path}."),
            StatusCodes.Status405MethodNotAllowed => (ErrorKind.MethodNotAllowed, $"{http.Request.Method} is not allowed here; allowed: {http.Response.Headers.Allow}."),
            StatusCodes.Status406NotAcceptable => (ErrorKind.NotAcceptable, "This server writes application/fhir+json and application/fhir+xml."),
            StatusCodes.Status413PayloadTooLarge => (ErrorKind.TooLarge, "The body is too large."),
            StatusCodes.Status414UriTooLong => (ErrorKind.UriTooLong, "The URL is too long."),
            StatusCodes.Status415UnsupportedMediaType => (ErrorKind.UnsupportedMedia, "The body's media type is not supported here."),
            StatusCodes.Status429TooManyRequests => (ErrorKind.RateLimited, "Too many requests; retry later (see Retry-After)."),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => (ErrorKind.HeadersTooLarge, "The request headers are too large."),
            StatusCodes.Status503ServiceUnavailable => (ErrorKind.Unavailable, "A service Enclave depends on is unavailable; retry later."),
            >= 500 => (ErrorKind.Unexpected, ErrorMap.UnexpectedMessage(http.TraceIdentifier)),
            _ => (ErrorKind.Invalid, "The request was refused."),
        };
        return Refuse(http, kind, message, status);
    }

    private static Task Refuse(HttpContext http, ErrorKind kind, string message, int? status = null)
    {
        // The exception handler clears the headers of the failed answer; the id must survive that.
        http.Response.Headers[CorrelationHeader] = http.TraceIdentifier;
        return http.Request.Path.StartsWithSegments(TokenPath, StringComparison.Ordinal) && HttpMethods.IsPost(http.Request.Method)
            ? Results.Json(new { error = "invalid_request", error_description = message }, statusCode: status ?? ErrorMap.Of(kind).Status).ExecuteAsync(http)
            : ErrorMap.Answer(kind, message, status).ExecuteAsync(http);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unexpected error answering {Method} {Path}; correlation id {CorrelationId}")]
    private static partial void LogUnexpected(ILogger logger, Exception? exception, string correlationId, string method, PathString path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Request refused while reading it ({Kind}); correlation id {CorrelationId}")]
    private static partial void LogRefused(ILogger logger, ErrorKind kind, string correlationId);
}
