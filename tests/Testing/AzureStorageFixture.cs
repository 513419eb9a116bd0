using Azure.Identity;
using Enclave.Storage.Blobs;

namespace Enclave.Testing;

/// <summary>An export blob container and queue of their own for one test class, deleted afterwards.</summary>
public sealed class AzureStorageFixture : IAsyncLifetime
{
    private AzureStorageClients? _clients;

    /// <summary>The options that reach this fixture's container and queue.</summary>
    public AzureStorageOptions Options { get; private set; } = new();

    /// <summary>The clients, configured as Enclave configures them.</summary>
    public AzureStorageClients Clients => _clients ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Options = TestSettings.StorageOptions(await LocalEmulators.GetAsync());
        _clients = AzureStorageClients.Create(Options, new DefaultAzureCredential());
        await _clients.EnsureCreatedAsync(CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_clients is not null)
        {
            await _clients.ExportContainer.DeleteIfExistsAsync();
            await _clients.ExportQueue.DeleteIfExistsAsync();
        }
    }
}
