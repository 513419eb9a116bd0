namespace Enclave.Domain.Fhir;

/// <summary>
/// The store is throttling (Cosmos DB 429, after the SDK's own retries) or briefly unavailable (503, or a 5xx of Blob
/// Storage): nothing was written, and the same call may succeed later. An HTTP request answers 429 or 503 with
/// <c>Retry-After</c>; an export step is run again after <see cref="RetryAfter"/>.
/// </summary>
public sealed class StoreThrottledException : Exception
{
    /// <summary>Creates the exception for a throttled (or, with <paramref name="unavailable"/>, an unavailable) store.</summary>
    public StoreThrottledException(string what, TimeSpan? retryAfter, bool unavailable, Exception? innerException = null)
        : base($"{what}: the store is {(unavailable ? "unavailable" : "throttling requests")}.", innerException)
    {
        RetryAfter = retryAfter;
        Unavailable = unavailable;
    }

    /// <summary>Creates the exception with a message.</summary>
    public StoreThrottledException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public StoreThrottledException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StoreThrottledException()
    {
    }

    /// <summary>How long the store asked to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether the store was unavailable (503) rather than throttling (429).</summary>
    public bool Unavailable { get; }
}
