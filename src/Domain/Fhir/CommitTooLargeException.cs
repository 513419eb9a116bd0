namespace Enclave.Domain.Fhir;

/// <summary>A commit needs more operations than one atomic write of the store can hold.</summary>
public sealed class CommitTooLargeException : Exception
{
    /// <summary>Creates the exception for a commit of <paramref name="operations"/> when <paramref name="limit"/> fit.</summary>
    public CommitTooLargeException(int operations, int limit)
        : base($"This needs {operations} atomic storage operations; at most {limit} fit in one atomic write (a new resource takes 2, an update or delete 3).")
    {
        Operations = operations;
        Limit = limit;
    }

    /// <summary>Creates the exception with a message.</summary>
    public CommitTooLargeException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public CommitTooLargeException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CommitTooLargeException()
    {
    }

    /// <summary>The operations the commit needed.</summary>
    public int Operations { get; }

    /// <summary>The operations that fit.</summary>
    public int Limit { get; }
}
