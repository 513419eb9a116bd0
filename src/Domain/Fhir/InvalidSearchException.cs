namespace Enclave.Domain.Fhir;

/// <summary>
/// A search, or a page token, that the store cannot run. The message speaks of the request, never of the
/// database, so it is safe to show the client (400).
/// </summary>
public sealed class InvalidSearchException : Exception
{
    /// <summary>Creates the exception with a message for the client.</summary>
    public InvalidSearchException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the client and its cause (never shown).</summary>
    public InvalidSearchException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InvalidSearchException()
    {
    }
}
