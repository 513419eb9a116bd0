using System.Diagnostics;
using System.Reflection;
using Enclave.Testing;

namespace Enclave.Infra.Tests;

/// <summary>The Bicep CLI restored from NuGet (package Azure.Bicep.CommandLine.linux-x64): no network needed.</summary>
internal static class Bicep
{
    public static string Folder { get; } = Path.Combine(LocalEmulators.RepositoryRoot, "infra", "bicep");

    private static readonly string s_executable = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "BicepPath").Value!;

    public static IEnumerable<string> Files(string extension) =>
        Directory.EnumerateFiles(Folder, $"*.{extension}", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    /// <summary>Runs bicep with <paramref name="arguments"/>; returns its exit code, standard output and standard error.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        // NuGet does not always keep the executable bit of the packaged CLI.
        File.SetUnixFileMode(s_executable, File.GetUnixFileMode(s_executable) | UnixFileMode.UserExecute);
        var start = new ProcessStartInfo(s_executable, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var bicep = Process.Start(start)!;
        var output = bicep.StandardOutput.ReadToEndAsync();
        var errors = bicep.StandardError.ReadToEndAsync();
        await bicep.WaitForExitAsync();
        return (bicep.ExitCode, await output, await errors);
    }
}
