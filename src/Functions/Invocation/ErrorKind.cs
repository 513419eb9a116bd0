namespace Enclave.Functions.Invocation;

/// <summary>The kinds of error a function answers, each with one status and one issue code (<see cref="ErrorMap"/>).</summary>
public enum ErrorKind
{
    /// <summary>400 <c>invalid</c>: the request is malformed or breaks a rule.</summary>
    Invalid,

    /// <summary>400 <c>too-costly</c>: the request asks for more work than one answer may do.</summary>
    TooCostly,

    /// <summary>401 <c>login</c>: no valid token.</summary>
    Unauthenticated,

    /// <summary>403 <c>forbidden</c>: the caller may not do this.</summary>
    Forbidden,

    /// <summary>404 <c>not-found</c>: nothing is there (or it belongs to another project).</summary>
    NotFound,

    /// <summary>404 <c>not-supported</c>: the address names a resource type that FHIR R4 does not have.</summary>
    UnknownType,

    /// <summary>405 <c>not-supported</c>: the method is not served here.</summary>
    MethodNotAllowed,

    /// <summary>406 <c>not-supported</c>: no answer format the client accepts.</summary>
    NotAcceptable,

    /// <summary>409 <c>conflict</c>: it already exists, or changed meanwhile.</summary>
    Conflict,

    /// <summary>409 <c>duplicate</c>: the same thing exists already (a second membership of one user, say).</summary>
    Duplicate,

    /// <summary>409 <c>transient</c>: a concurrent request holds what this one needs; retry.</summary>
    Busy,

    /// <summary>410 <c>deleted</c>: it was deleted.</summary>
    Gone,

    /// <summary>412 <c>conflict</c>: the version in <c>If-Match</c> is not the current one.</summary>
    PreconditionFailed,

    /// <summary>413 <c>too-long</c>: the body or the stored document is too large.</summary>
    TooLarge,

    /// <summary>414 <c>too-long</c>: the URL is too long.</summary>
    UriTooLong,

    /// <summary>415 <c>not-supported</c>: the body's media type is not read here.</summary>
    UnsupportedMedia,

    /// <summary>429 <c>throttled</c>: too many requests; retry after the time given.</summary>
    RateLimited,

    /// <summary>431 <c>too-long</c>: the request headers are too large.</summary>
    HeadersTooLarge,

    /// <summary>500 <c>exception</c>: the server failed; the answer quotes the correlation id, nothing more.</summary>
    Unexpected,

    /// <summary>503 <c>transient</c>: a dependency is unavailable; retry after the time given.</summary>
    Unavailable,
}
