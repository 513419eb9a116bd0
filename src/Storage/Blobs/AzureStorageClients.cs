using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Specialized;

namespace Enclave.Storage.Blobs;

/// <summary>The blob container and queue Enclave's export uses, created from <see cref="AzureStorageOptions"/>.</summary>
public sealed class AzureStorageClients
{
    private AzureStorageClients(BlobContainerClient exportContainer, QueueClient exportQueue)
    {
        ExportContainer = exportContainer;
        ExportQueue = exportQueue;
    }

    /// <summary>The container export files are written to.</summary>
    public BlobContainerClient ExportContainer { get; }

    /// <summary>The export work queue. Messages are Base64-encoded, as the Functions queue trigger expects.</summary>
    public QueueClient ExportQueue { get; }

    /// <summary>The queue <paramref name="name"/> of the export queue's account, with the same options (a poison queue, say).</summary>
    public QueueClient Queue(string name) =>
        name == ExportQueue.Name ? ExportQueue : ExportQueue.GetParentQueueServiceClient().GetQueueClient(name);

    /// <summary>Creates the clients: the account key of the connection string for the emulator,
    /// <paramref name="credential"/> otherwise.</summary>
    public static AzureStorageClients Create(AzureStorageOptions options, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new AzureStorageClients(
                new BlobContainerClient(options.ConnectionString, options.ExportContainerName),
                new QueueClient(options.ConnectionString, options.ExportQueueName, queueOptions));
        }

        var blobs = new BlobServiceClient(options.BlobServiceUri, credential);
        var queues = new QueueServiceClient(options.QueueServiceUri, credential, queueOptions);
        return new AzureStorageClients(
            blobs.GetBlobContainerClient(options.ExportContainerName),
            queues.GetQueueClient(options.ExportQueueName));
    }

    /// <summary>Creates the export container (private) and queue when they are missing.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await ExportContainer.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await ExportQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }
}
