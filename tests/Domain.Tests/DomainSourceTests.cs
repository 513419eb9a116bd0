using System.Text.RegularExpressions;

namespace Enclave.Domain.Tests;

/// <summary>
/// The domain takes time and cancellation from its callers: no source under <c>src/Domain</c> reads the wall clock
/// (a decision must be repeatable with a given "now") or drops the caller's token (a cancelled request must stop its
/// queries).
/// </summary>
public sealed partial class DomainSourceTests
{
    /// <summary>What Domain code may not say; comments are not code and are skipped.</summary>
    [GeneratedRegex(@"\b(DateTime|DateTimeOffset)\s*\.\s*(UtcNow|Now|Today)\b|\bTimeProvider\s*\.\s*System\b|\bCancellationToken\s*\.\s*None\b|\bdefault\s*\(\s*CancellationToken\s*\)|\bCancellationToken\s+\w+\s*=\s*default\b|\bEnvironment\s*\.\s*TickCount")]
    private static partial Regex Forbidden();

    [Fact]
    public void Domain_sources_neither_read_the_wall_clock_nor_drop_the_cancellation_token()
    {
        var domain = Path.Combine(RepositoryRoot(), "src", "Domain");
        var sources = Directory.EnumerateFiles(domain, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        var offending = sources
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line: i + 1, code: CodeOf(line))))
            .Where(l => Forbidden().IsMatch(l.code))
            .Select(l => $"{Path.GetRelativePath(domain, l.file)}:{l.line}: {l.code.Trim()}")
            .ToList();

        Assert.True(sources.Count > 20, $"only {sources.Count} Domain sources found under {domain}");
        Assert.Empty(offending);
    }

    [Theory]
    [InlineData("var today = DateTime.UtcNow.Date;")]
    [InlineData("var now = DateTimeOffset.Now;")]
    [InlineData("new FhirRepository(access, store, TimeProvider.System)")]
    [InlineData("store.SelectReferencesAsync(inner, code, limit, CancellationToken.None)")]
    [InlineData("Task RunAsync(CancellationToken cancellationToken = default)")]
    public void The_scan_recognises_each_forbidden_form(string code) => Assert.Matches(Forbidden(), CodeOf(code));

    [Fact]
    public void The_scan_ignores_comments() => Assert.DoesNotMatch(Forbidden(), CodeOf("x = 1; // never DateTime.UtcNow here"));

    /// <summary>The line without its <c>//</c> comment (a crude cut: Domain has no "//" inside string literals that matter here).</summary>
    private static string CodeOf(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment < 0 ? line : line[..comment];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Functions.sln above {AppContext.BaseDirectory}.");
    }
}
