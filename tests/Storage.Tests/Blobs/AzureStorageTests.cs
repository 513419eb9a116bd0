using Azure.Storage.Blobs.Models;
using Enclave.Domain.Export;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Blobs;

/// <summary>The export container and queue through the Azure Storage SDKs against Azurite (or a real account).</summary>
public sealed class AzureStorageTests(AzureStorageFixture storage) : IClassFixture<AzureStorageFixture>
{
    [Fact]
    public async Task Export_container_is_private_and_round_trips_a_blob()
    {
        var blob = storage.Clients.ExportContainer.GetBlobClient($"{Guid.NewGuid():N}/Patient.ndjson");
        await blob.UploadAsync(BinaryData.FromString("{\"resourceType\":\"Patient\"}\n"));

        var downloaded = await blob.DownloadContentAsync();
        BlobContainerProperties properties = await storage.Clients.ExportContainer.GetPropertiesAsync();

        Assert.Equal("{\"resourceType\":\"Patient\"}\n", downloaded.Value.Content.ToString());
        Assert.Equal(PublicAccessType.None, properties.PublicAccess);
    }

    [Fact]
    public async Task Export_queue_carries_a_base64_job_message_the_domain_can_read()
    {
        var sent = new ExportJobMessage("p1", Guid.NewGuid().ToString());
        await storage.Clients.ExportQueue.SendMessageAsync(sent.ToJson());

        // A client without message encoding sees the text as the Functions host's queue trigger does.
        var plain = new Azure.Storage.Queues.QueueClient(storage.Options.ConnectionString, storage.Options.ExportQueueName);
        var raw = await plain.PeekMessageAsync();
        var received = await storage.Clients.ExportQueue.ReceiveMessageAsync();

        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(sent.ToJson())), raw.Value.Body.ToString());
        Assert.True(ExportJobMessage.TryParse(received.Value.Body.ToString(), out var read));
        Assert.Equal(sent, read);
    }
}
