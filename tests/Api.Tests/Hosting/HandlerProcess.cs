using Enclave.Testing;

namespace Enclave.Api.Tests.Hosting;

/// <summary>The app these tests were built with, started as its own process against the emulators (see <see cref="AppProcess"/>).</summary>
internal static class HandlerProcess
{
    /// <summary>Starts the Functions project's build output with fresh settings and waits until it answers.</summary>
    public static async Task<AppProcess> StartAsync()
    {
        var endpoints = await LocalEmulators.GetAsync();
        var settings = AppSettings.For(TestSettings.CosmosOptions(endpoints), TestSettings.StorageOptions(endpoints));
        return await AppProcess.StartAsync(Directory(), settings);
    }

    /// <summary>The Functions project's own build output, in the configuration these tests were built in.</summary>
    private static string Directory()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent!.Name;
        return Path.Combine(LocalEmulators.RepositoryRoot, "src", "Functions", "bin", configuration, testOutput.Name);
    }
}
