using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Enclave.Storage.Export;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Blobs;

/// <summary>Export blocks through <see cref="BlobExportFiles"/> against Azurite: each is verified by the service as it arrives.</summary>
public sealed class BlobExportFilesTests(AzureStorageFixture storage) : IClassFixture<AzureStorageFixture>
{
    private static readonly byte[] s_lines = "{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Patient\",\"id\":\"b\"}\n"u8.ToArray();

    [Fact]
    public async Task A_block_changed_on_the_wire_is_refused_by_the_service_and_never_reaches_a_file()
    {
        var jobId = Guid.NewGuid().ToString("N");
        var options = new BlobClientOptions();
        options.AddPolicy(new FlipsABlockByte(), HttpPipelinePosition.PerCall);
        var corrupting = new BlobExportFiles(new BlobContainerClient(storage.Options.ConnectionString, storage.Options.ExportContainerName, options));
        var files = new BlobExportFiles(storage.Clients.ExportContainer);

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() =>
            corrupting.StageAsync("p1", jobId, "Patient.ndjson", "YmxvY2stMQ==", s_lines, CancellationToken.None));
        await files.StageAsync("p1", jobId, "Patient.ndjson", "YmxvY2stMg==", s_lines, CancellationToken.None);
        var committed = await Record.ExceptionAsync(() => files.CommitAsync("p1", jobId, "Patient.ndjson", ["YmxvY2stMQ=="], CancellationToken.None));
        await files.CommitAsync("p1", jobId, "Patient.ndjson", ["YmxvY2stMg=="], CancellationToken.None);
        await using var read = await files.OpenReadAsync("p1", jobId, "Patient.ndjson", CancellationToken.None);
        using var copy = new MemoryStream();
        Assert.NotNull(read);
        await read.CopyToAsync(copy);

        Assert.Equal("Md5Mismatch", refused.ErrorCode);
        Assert.Equal(400, refused.Status);
        Assert.Equal("InvalidBlockList", Assert.IsType<RequestFailedException>(committed).ErrorCode); // the refused block was not staged
        Assert.Equal(s_lines, copy.ToArray());
    }

    /// <summary>
    /// Changes one byte of every Put Block body after the client took its checksum, as a fault on the way would; once
    /// per call (before the retry policy), so a retry sends the same changed body rather than changing it back.
    /// </summary>
    private sealed class FlipsABlockByte : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method != RequestMethod.Put || !message.Request.Uri.Query.Contains("blockid=", StringComparison.Ordinal)
                || message.Request.Content is not { } content)
            {
                return;
            }

            using var body = new MemoryStream();
            content.WriteTo(body, message.CancellationToken);
            var bytes = body.ToArray();
            bytes[0] ^= 0x20;
            message.Request.Content = RequestContent.Create(bytes);
        }
    }
}
