using System.ComponentModel.DataAnnotations;

namespace Enclave.Storage.Blobs;

/// <summary>Where export blobs and the export work queue live (configuration section <c>Storage</c>).</summary>
public sealed class AzureStorageOptions : IValidatableObject
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Storage";

    /// <summary>
    /// A connection string with an account key, for the local emulator (Azurite) only. Without it Enclave uses
    /// <see cref="BlobServiceUri"/> and <see cref="QueueServiceUri"/> with <c>DefaultAzureCredential</c>.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The blob service endpoint, e.g. <c>https://account.blob.core.windows.net</c>.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>The queue service endpoint, e.g. <c>https://account.queue.core.windows.net</c>.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>The blob container export files are written to.</summary>
    [Required]
    public string ExportContainerName { get; set; } = "exports";

    /// <summary>The queue that carries export work; its function binding reads the same name.</summary>
    [Required]
    public string ExportQueueName { get; set; } = "export-jobs";

    /// <summary>Create the export container and queue at start-up when they are missing (development).</summary>
    public bool CreateIfNotExists { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        var hasUris = BlobServiceUri is not null || QueueServiceUri is not null;
        if (hasConnectionString && hasUris)
        {
            yield return new ValidationResult(
                "Set either Storage:ConnectionString (emulator) or Storage:BlobServiceUri and Storage:QueueServiceUri (Azure), not both.",
                [nameof(ConnectionString), nameof(BlobServiceUri), nameof(QueueServiceUri)]);
        }
        else if (!hasConnectionString && (BlobServiceUri is null || QueueServiceUri is null))
        {
            yield return new ValidationResult(
                "Set Storage:BlobServiceUri and Storage:QueueServiceUri (or Storage:ConnectionString for the emulator).",
                [nameof(BlobServiceUri), nameof(QueueServiceUri)]);
        }
    }
}
