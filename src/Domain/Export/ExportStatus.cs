namespace Enclave.Domain.Export;

/// <summary>Where an export job is.</summary>
public enum ExportStatus
{
    /// <summary>Steps remain.</summary>
    Running,

    /// <summary>Every type is written; the manifest is final.</summary>
    Completed,

    /// <summary>The job stopped; its status answers with an OperationOutcome.</summary>
    Failed,
}
