using Azure.Identity;
using Enclave.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Enclave.Testing;

/// <summary>
/// A Cosmos database of its own for one test class (xunit class fixture), created with Enclave's container layout
/// and deleted afterwards, so classes run in parallel without seeing each other's data.
/// </summary>
public sealed class CosmosDatabaseFixture : IAsyncLifetime
{
    private CosmosClient? _client;
    private Container? _container;

    /// <summary>The options that reach this fixture's database (unique name, Enclave's container name).</summary>
    public CosmosOptions Options { get; private set; } = new();

    /// <summary>The SDK client, configured as Enclave configures it.</summary>
    public CosmosClient Client => _client ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <summary>Enclave's container in this fixture's database.</summary>
    public Container Container => _container ?? throw new InvalidOperationException("The fixture is not initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var endpoints = await LocalEmulators.GetAsync();
        Options = TestSettings.CosmosOptions(endpoints);
        _client = CosmosClientFactory.Create(Options, new DefaultAzureCredential());
        _container = await CosmosContainerInitializer.EnsureCreatedAsync(_client, Options, CancellationToken.None);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_client is null)
        {
            return;
        }

        using (await _client.GetDatabase(Options.DatabaseName).DeleteStreamAsync())
        {
        }

        _client.Dispose();
    }
}
