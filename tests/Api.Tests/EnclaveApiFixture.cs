using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Enclave.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Enclave.Api.Tests;

/// <summary>
/// The real Enclave handler (its Program, its composition) in the Development environment, against the
/// emulators, with a Cosmos database, blob container and queue of its own for one test class.
/// </summary>
public class EnclaveApiFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    private Dictionary<string, string?> _settings = [];

    /// <summary>Every log line the app wrote.</summary>
    public CollectingLoggerProvider Logs { get; } = new();

    /// <summary>The Cosmos options the app was given.</summary>
    public CosmosOptions Cosmos { get; private set; } = new();

    /// <summary>The storage options the app was given.</summary>
    public AzureStorageOptions Storage { get; private set; } = new();

    /// <summary>The super-admin client the app bootstrapped (its id and secret).</summary>
    public (string Id, string Secret) SuperAdmin => (_settings["Auth:BootstrapClientId"]!, _settings["Auth:BootstrapClientSecret"]!);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var endpoints = await LocalEmulators.GetAsync();
        Cosmos = TestSettings.CosmosOptions(endpoints);
        Storage = TestSettings.StorageOptions(endpoints);
        _settings = AppSettings.For(Cosmos, Storage);
        Customize(_settings);
        // Build the host now so start-up failures surface in the fixture, not in the first test.
        using var client = CreateClient();
    }

    /// <summary>Lets a derived fixture change settings before the app starts.</summary>
    protected virtual void Customize(Dictionary<string, string?> settings)
    {
    }

    /// <inheritdoc />
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(_settings));
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        builder.ConfigureServices(ConfigureServices);
    }

    /// <summary>Lets a derived fixture replace services (registered after the app's own).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <inheritdoc />
    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Cosmos.CreateIfNotExists)
        {
            using (await Services.GetRequiredService<CosmosClient>().GetDatabase(Cosmos.DatabaseName).DeleteStreamAsync())
            {
            }
        }

        var storage = Services.GetRequiredService<AzureStorageClients>();
        await storage.ExportContainer.DeleteIfExistsAsync();
        await storage.ExportQueue.DeleteIfExistsAsync();
        await DisposeAsync();
    }
}
