using System.Diagnostics;

namespace Enclave.Testing;

/// <summary>Installs a folder's pinned npm packages (npm ci) when they are missing, once across parallel test processes.</summary>
public static class NpmInstall
{
    /// <summary>Runs <c>npm ci</c> in <paramref name="directory"/> unless its packages are installed.</summary>
    public static async Task EnsureAsync(string directory)
    {
        var marker = Path.Combine(directory, "node_modules", ".package-lock.json");
        if (File.Exists(marker))
        {
            return;
        }

        // Test assemblies run in parallel processes: an exclusive lock file lets one of them install.
        var lockPath = Path.Combine(directory, ".install.lock");
        using var lockFile = await AcquireAsync(lockPath);
        if (File.Exists(marker))
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
