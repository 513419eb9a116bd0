using Enclave.Storage.Blobs;
using Enclave.Storage.Cosmos;
using Enclave.Storage.Keys;

namespace Enclave.Infra.Tests;

/// <summary>Every Enclave setting the deployment writes binds to a property of the app's options.</summary>
public sealed class AppSettingsConsistencyTests
{
    private static readonly Dictionary<string, Type> s_sections = new()
    {
        [CosmosOptions.SectionName] = typeof(CosmosOptions),
        [AzureStorageOptions.SectionName] = typeof(AzureStorageOptions),
        [SigningKeyOptions.SectionName] = typeof(SigningKeyOptions),
        [Enclave.Functions.Export.ExportOptions.SectionName] = typeof(Enclave.Functions.Export.ExportOptions),
    };

    // Read by the Functions host itself: the queue trigger's identity-based connection.
    private static readonly string[] s_otherConsumers = ["EnclaveStorage"];

    [Fact]
    public async Task Enclave_settings_name_existing_options()
    {
        var deployment = Assert.Single(
            CompiledTemplate.Resources(await CompiledTemplate.MainAsync(), "Microsoft.Resources/deployments"),
            d => (string?)d["name"] == "function-app");
        var settings = deployment["properties"]!["parameters"]!["enclaveSettings"]!["value"]!.AsObject();

        Assert.NotEmpty(settings);
        foreach (var (name, _) in settings)
        {
            var parts = name.Split("__");
            Assert.Equal(2, parts.Length);
            if (s_sections.TryGetValue(parts[0], out var options))
            {
                Assert.True(options.GetProperty(parts[1]) is not null, $"{name} binds to no property of {options.Name}.");
            }
            else
            {
                Assert.Contains(parts[0], s_otherConsumers);
            }
        }

        Assert.DoesNotContain(settings, s => s.Key.EndsWith("__Key", StringComparison.Ordinal) || s.Key.EndsWith("ConnectionString", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_queue_trigger_resolves_its_queue_and_connection_from_deployed_settings()
    {
        var deployment = Assert.Single(
            CompiledTemplate.Resources(await CompiledTemplate.MainAsync(), "Microsoft.Resources/deployments"),
            d => (string?)d["name"] == "function-app");
        var settings = deployment["properties"]!["parameters"]!["enclaveSettings"]!["value"]!.AsObject();

        // [QueueTrigger("%Storage:ExportQueueName%", Connection = "EnclaveStorage")]: the host reads both from app settings.
        Assert.Equal("%Storage:ExportQueueName%", Enclave.Functions.Export.ExportJobFunctions.Queue);
        Assert.True(settings.ContainsKey("Storage__ExportQueueName"));
        Assert.True(settings.ContainsKey($"{Enclave.Functions.Export.ExportJobFunctions.Connection}__queueServiceUri"));
    }

    [Fact]
    public async Task The_function_app_runs_the_dotnet_isolated_10_runtime()
    {
        // Relaxed escaping keeps the ARM expressions' quotes readable ('dotnet-isolated', not \u0027dotnet-isolated\u0027).
        var template = (await CompiledTemplate.MainAsync()).ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });

        Assert.Contains("'dotnet-isolated'", template, StringComparison.Ordinal);
        Assert.Contains("'10.0'", template, StringComparison.Ordinal);
        Assert.DoesNotContain("'custom'", template, StringComparison.Ordinal);
    }
}
