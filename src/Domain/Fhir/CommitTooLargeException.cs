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

    /// <summary>
    /// How a client is told: too many operations is a request it can split (400 too-costly); a resource the store
    /// cannot hold is too large (413 too-long).
    /// </summary>
    public (int Status, Hl7.Fhir.Model.OperationOutcome.IssueType Code) Answer =>
        Limit > 0 ? (400, Hl7.Fhir.Model.OperationOutcome.IssueType.TooCostly) : (413, Hl7.Fhir.Model.OperationOutcome.IssueType.TooLong);
}
