using System.Diagnostics;

namespace Enclave.Testing;

/// <summary>Installs a folder's pinned npm packages (npm ci) when they are missing, once across parallel test processes.</summary>
public static class NpmInstall
{
    /// <summary>Runs <c>npm ci</c> in <paramref name="directory"/> unless its packages are installed from its current lockfile.</summary>
    public static async Task EnsureAsync(string directory)
    {
        // npm writes this copy of the lockfile on install: older than the lockfile means the pins changed since.
        var marker = Path.Combine(directory, "node_modules", ".package-lock.json");
        bool Installed() => File.Exists(marker) && File.GetLastWriteTimeUtc(marker) >= File.GetLastWriteTimeUtc(Path.Combine(directory, "package-lock.json"));
        if (Installed())
        {
            return;
        }

        // Test assemblies run in parallel processes: an exclusive lock file lets one of them install.
        var lockPath = Path.Combine(directory, ".install.lock");
        using var lockFile = await AcquireAsync(lockPath);
        if (Installed())
        {
            return;
        }

        var start = new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"])
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
        };
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("Could not start npm.");
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {directory} failed with exit code {npm.ExitCode}.");
        }
    }

    private static async Task<FileStream> AcquireAsync(string path)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(500);
            }
        }
    }
}
