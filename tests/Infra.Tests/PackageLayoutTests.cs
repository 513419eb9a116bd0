using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Enclave.Testing;

namespace Enclave.Infra.Tests;

/// <summary>The deployable package, built once by the documented command (scripts/package.sh) into a temp folder.</summary>
public sealed class PackageFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), $"enclave-package-{Guid.NewGuid():N}", "package");

    public string Zip => Path.Combine(Path.GetDirectoryName(Root)!, "enclave-functions.zip");

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(LocalEmulators.RepositoryRoot, "scripts", "package.sh"), Root])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var package = Process.Start(start)!;
        var output = package.StandardOutput.ReadToEndAsync();
        var errors = package.StandardError.ReadToEndAsync();
        await package.WaitForExitAsync();
        Assert.True(package.ExitCode == 0, $"scripts/package.sh failed:\n{await output}\n{await errors}");
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PackageLayoutTests(PackageFixture package) : IClassFixture<PackageFixture>
{
    private JsonElement Json(string relativePath) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(package.Root, relativePath))).RootElement;

    [Fact]
    public void Host_json_is_the_standard_isolated_one_with_the_api_route_prefix()
    {
        var host = Json("host.json");

        Assert.Equal("2.0", host.GetProperty("version").GetString());
        Assert.False(host.TryGetProperty("customHandler", out _));
        Assert.False(host.TryGetProperty("extensionBundle", out _)); // the worker ships its extensions in .azurefunctions/
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.Equal("base64", host.GetProperty("extensions").GetProperty("queues").GetProperty("messageEncoding").GetString());
        Assert.Empty(Directory.EnumerateFiles(package.Root, "function.json", SearchOption.AllDirectories));
    }

    [Fact]
    public void Worker_config_points_at_the_app_assembly_as_a_dotnet_isolated_worker()
    {
        var description = Json("worker.config.json").GetProperty("description");
        var worker = description.GetProperty("defaultWorkerPath").GetString()!;

        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.Equal("Enclave.Functions.dll", worker);
        Assert.True(File.Exists(Path.Combine(package.Root, worker)), $"worker.config.json names {worker}, which the package lacks.");
        Assert.Equal("true", description.GetProperty("workerIndexing").GetString());
    }

    [Fact]
    public void Functions_metadata_lists_every_function_of_the_app_and_the_host_extensions_are_there()
    {
        var metadata = Json("functions.metadata").EnumerateArray().ToList();
        var names = metadata.Select(f => f.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();
        var functions = Enclave.Functions.Invocation.FunctionCatalog.App.Entries.Select(e => e.Name).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(functions, names);
        Assert.All(metadata, f => Assert.Equal("Enclave.Functions.dll", f.GetProperty("scriptFile").GetString()));
        Assert.Contains(metadata, f => f.GetProperty("bindings").EnumerateArray().Any(b => b.GetProperty("type").GetString() == "queueTrigger"));
        var extensions = Path.Combine(package.Root, ".azurefunctions");
        Assert.True(Directory.Exists(extensions), "The package has no .azurefunctions folder.");
        Assert.Contains(Directory.EnumerateFiles(extensions), f => Path.GetFileName(f).StartsWith("Microsoft.Azure.WebJobs.Extensions.Storage", StringComparison.Ordinal));
    }

    [Fact]
    public void App_is_ready_to_run()
    {
        using var stream = File.OpenRead(Path.Combine(package.Root, "Enclave.Functions.dll"));
        using var reader = new System.Reflection.PortableExecutable.PEReader(stream);

        // ReadyToRun images carry a managed native header with precompiled code.
        Assert.NotNull(reader.PEHeaders.CorHeader);
        Assert.True(reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0);
    }

    [Fact]
    public void App_runs_without_dynamic_PGO()
    {
        // A young instance would otherwise compile its hot ReadyToRun code twice more (ADR 0004).
        var properties = Json("Enclave.Functions.runtimeconfig.json").GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(properties.GetProperty("System.Runtime.TieredPGO").GetBoolean());
    }

    [Fact]
    public void Zip_holds_the_same_files_hidden_ones_included()
    {
        using var zip = ZipFile.OpenRead(package.Zip);
        var entries = zip.Entries.Where(e => e.Name.Length > 0).Select(e => e.FullName).ToHashSet();
        var files = Directory.EnumerateFiles(package.Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(package.Root, f)).ToHashSet();

        Assert.Equal(files, entries);
        Assert.Contains(entries, e => e.StartsWith(".azurefunctions/", StringComparison.Ordinal));
        Assert.Contains("functions.metadata", entries);
    }
}
