using System.Text.RegularExpressions;
using Enclave.Testing;

namespace Enclave.Storage.Tests.Cosmos;

/// <summary>
/// Tenancy by construction: under <c>src/</c> a Cosmos DB partition key is built, and the project filter written, only in
/// <c>ProjectPartition</c>; index entries' short keys are spelled only in their one mapping (<c>IndexEntryJson</c>).
/// A second site would be a second place to forget the tenant, or a second document format to drift.
/// </summary>
public sealed partial class PartitionSourceTests
{
    private static readonly string s_src = Path.Combine(LocalEmulators.RepositoryRoot, "src");

    [GeneratedRegex(@"new\s+PartitionKey(Builder)?\s*\(|PartitionKey\s*\.\s*(None|Null)\b|PartitionKey\??\s+(\w+\s*)?=\s*new\s*\(|PartitionKey\s*=\s*new\s*\(")]
    private static partial Regex PartitionKeyConstruction();

    [GeneratedRegex(@"c\s*\.\s*projectId|c\s*\[\s*\\?""projectId\\?""\s*\]")]
    private static partial Regex ProjectPredicate();

    /// <summary>
    /// An index entry key read or written by hand: <c>e["t"]</c>, <c>["lo"] =</c>, <c>t.iv</c> in SQL text. The one
    /// mapping names them as constants (<c>Type = "t"</c>), which this does not match; nor regex groups (<c>Groups["d"]</c>).
    /// </summary>
    [GeneratedRegex(@"(?<!Groups)\[\s*""(n|x|s|c|d|ts|tc|t|i|u|iv|is|lo|hi|v)""\s*\]|\bt\.(n|x|s|c|d|ts|tc|t|i|u|iv|lo|hi|v)\b")]
    private static partial Regex IndexEntryKey();

    [Fact]
    public void Only_ProjectPartition_builds_a_partition_key() =>
        Assert.Equal([Path.Combine("Storage", "Cosmos", "ProjectPartition.cs")], FilesMatching(PartitionKeyConstruction()));

    [Fact]
    public void Only_ProjectPartition_writes_the_project_predicate() =>
        Assert.Equal([Path.Combine("Storage", "Cosmos", "ProjectPartition.cs")], FilesMatching(ProjectPredicate()));

    [Fact]
    public void No_source_reads_or_writes_an_index_entry_by_its_stored_key() => Assert.Empty(FilesMatching(IndexEntryKey()));

    [Theory]
    [InlineData("using var r = await container.ReadItemStreamAsync(id, new PartitionKey(projectId));", true, false, false)]
    [InlineData("var key = new PartitionKeyBuilder().Add(projectId).Build();", true, false, false)]
    [InlineData("var options = new QueryRequestOptions { PartitionKey = new(projectId) };", true, false, false)]
    [InlineData("PartitionKey key = new(projectId);", true, false, false)]
    [InlineData("using var r = await container.ReadItemStreamAsync(id, partition.Key);", false, false, false)]
    [InlineData("var sql = \"SELECT * FROM c WHERE c.projectId = @p\";", false, true, false)]
    [InlineData("return e[\"t\"] is null;", false, false, true)]
    [InlineData("$\"t.iv = {Parameter(code)}\"", false, false, true)]
    [InlineData("var entry = new JsonObject { [\"lo\"] = lo };", false, false, true)]
    [InlineData("node[\"id\"] = id;", false, false, false)]
    [InlineData("if (match.Groups[\"d\"].Success)", false, false, false)]
    public void The_scans_recognise_what_they_forbid(string code, bool key, bool predicate, bool entryKey)
    {
        Assert.Equal(key, PartitionKeyConstruction().IsMatch(code));
        Assert.Equal(predicate, ProjectPredicate().IsMatch(code));
        Assert.Equal(entryKey, IndexEntryKey().IsMatch(code));
    }

    /// <summary>The files under <c>src/</c> (relative, ordered) with code (comments skipped) matching <paramref name="pattern"/>.</summary>
    private static List<string> FilesMatching(Regex pattern)
    {
        var files = Directory.EnumerateFiles(s_src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"))
            .ToList();
        Assert.True(files.Count > 100, $"only {files.Count} sources under {s_src}");
        return [.. files.Where(f => File.ReadLines(f).Any(line => pattern.IsMatch(CodeOf(line))))
            .Select(f => Path.GetRelativePath(s_src, f)).Order(StringComparer.Ordinal)];
    }

    /// <summary>The line without a trailing <c>//</c> comment (an XML doc line is all comment).</summary>
    private static string CodeOf(string line)
    {
        var comment = line.IndexOf("//", StringComparison.Ordinal);
        return comment < 0 ? line : line[..comment];
    }
}
