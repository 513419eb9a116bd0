namespace Enclave.Infra.Tests;

/// <summary>Every template and parameters file builds and lints with no diagnostic at all (warnings included).</summary>
public sealed class BicepTemplateTests
{
    public static TheoryData<string> Templates() => [.. Bicep.Files("bicep").Select(Relative)];

    public static TheoryData<string> ParameterFiles() => [.. Bicep.Files("bicepparam").Select(Relative)];

    private static string Relative(string path) => Path.GetRelativePath(Bicep.Folder, path);

    [Theory]
    [MemberData(nameof(Templates))]
    public async Task Template_builds_and_lints_clean(string template)
    {
        var path = Path.Combine(Bicep.Folder, template);

        var build = await Bicep.RunAsync("build", path, "--stdout");
        var lint = await Bicep.RunAsync("lint", path);

        Assert.Equal(0, build.ExitCode);
        Assert.Equal(string.Empty, build.Errors.Trim());
        Assert.Equal(0, lint.ExitCode);
        Assert.Equal(string.Empty, lint.Errors.Trim() + lint.Output.Trim());
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public async Task Parameters_file_builds_and_lints_clean(string parameters)
    {
        var path = Path.Combine(Bicep.Folder, parameters);

        var build = await Bicep.RunAsync("build-params", path, "--stdout");
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
