using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Enclave.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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

    private IEnumerable<string> FunctionFolders() =>
        Directory.EnumerateDirectories(package.Root).Where(d => File.Exists(Path.Combine(d, "function.json")));

    [Fact]
    public void Host_json_points_at_an_executable_self_contained_handler()
    {
        var executable = Json("host.json").GetProperty("customHandler").GetProperty("description")
            .GetProperty("defaultExecutablePath").GetString()!;
        var path = Path.Combine(package.Root, executable);

        Assert.True(File.Exists(path), $"host.json names {executable}, which the package lacks.");
        Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute));
        // Self-contained: the custom runtime promises no .NET on the instance.
        Assert.True(File.Exists(Path.Combine(package.Root, "libcoreclr.so")));
        Assert.True(File.Exists(Path.Combine(package.Root, "Microsoft.AspNetCore.dll")));
    }

    [Fact]
    public void Handler_is_ready_to_run()
    {
        using var stream = File.OpenRead(Path.Combine(package.Root, "Enclave.Functions.dll"));
        using var reader = new System.Reflection.PortableExecutable.PEReader(stream);

        // ReadyToRun images carry a managed native header with precompiled code.
        Assert.NotNull(reader.PEHeaders.CorHeader);
        Assert.True(reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0);
    }

    [Fact]
    public void Zip_holds_the_same_files_and_keeps_the_executable_bit()
    {
        using var zip = ZipFile.OpenRead(package.Zip);
        var entries = zip.Entries.Where(e => e.Name.Length > 0).Select(e => e.FullName).ToHashSet();
        var files = Directory.EnumerateFiles(package.Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(package.Root, f)).ToHashSet();

        Assert.Equal(files, entries);
        var handler = zip.GetEntry("Enclave.Functions")!;
        Assert.NotEqual(0, (handler.ExternalAttributes >> 16) & 0b001_000_000);
    }

    [Fact]
    public void Every_function_route_maps_to_an_endpoint_of_the_handler()
    {
        var routes = HandlerRoutes();
        var folders = FunctionFolders().ToList();

        Assert.Equal(["Api", "ExportJob"], folders.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            var trigger = Json(Path.Combine(name, "function.json")).GetProperty("bindings").EnumerateArray()
                .Single(b => b.GetProperty("direction").GetString() == "in");
            if (trigger.GetProperty("type").GetString() == "httpTrigger")
            {
                // A catch-all route: the handler must serve routes below its prefix, and none outside it but
                // the host's own calls ("/" and the non-HTTP functions).
                var prefix = trigger.GetProperty("route").GetString()!.Replace("{*path}", string.Empty, StringComparison.Ordinal);
                Assert.Contains(routes, r => r.StartsWith(prefix, StringComparison.Ordinal));
            }
            else
            {
                Assert.Contains(name, routes);
            }
        }

        var nonHttp = folders.Select(Path.GetFileName).Where(n => n != "Api").ToHashSet();
        Assert.All(routes, r => Assert.True(r.StartsWith("api/", StringComparison.Ordinal) || r.Length == 0 || nonHttp.Contains(r), $"Route /{r} is outside /api."));
    }

    /// <summary>The handler's route patterns (without the leading slash), read from the real app's endpoint table.</summary>
    private static List<string> HandlerRoutes()
    {
        using var app = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Production");
            builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(TestSettings.UnusedAzureSettings()));
        });
        return app.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Select(e => (e.RoutePattern.RawText ?? string.Empty).TrimStart('/'))
            .ToList();
    }
}
