namespace Enclave.Infra.Tests;

/// <summary>Every template and parameters file builds and lints with no diagnostic at all (warnings included).</summary>
public sealed class BicepTemplateTests
{
    public static TheoryData<string> Templates() => [.. Bicep.Files("bicep").Select(Relative)];

    public static TheoryData<string> ParameterFiles() => [.. Bicep.Files("bicepparam").Select(Relative)];

    private static string Relative(string path) => Path.GetRelativePath(Bicep.Folder, path);

    [Theory]
    [MemberData(nameof(Templates))]
    public Task Template_builds_and_lints_clean(string template) => AssertCleanAsync("build", template);

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public Task Parameters_file_builds_and_lints_clean(string parameters) => AssertCleanAsync("build-params", parameters);

    private static async Task AssertCleanAsync(string buildCommand, string relativePath)
    {
        var path = Path.Combine(Bicep.Folder, relativePath);

        var build = await Bicep.RunAsync(buildCommand, path, "--stdout");
        var lint = await Bicep.RunAsync("lint", path);

        Assert.Equal(0, build.ExitCode);
        Assert.Equal(string.Empty, build.Errors.Trim());
        Assert.Equal(0, lint.ExitCode);
        Assert.Equal(string.Empty, lint.Errors.Trim() + lint.Output.Trim());
    }

    [Fact]
    public void There_is_a_parameters_file_per_environment()
    {
        Assert.Equal(["main.dev.bicepparam", "main.prod.bicepparam"], Bicep.Files("bicepparam").Select(Relative));
    }
}
