using System.Text.RegularExpressions;
using Tract7dt.Tests.Graph;
using Xunit;

namespace Tract7dt.Tests.Docs;

/// <summary>The README's folder table describes the code as it is.</summary>
public sealed partial class ReadmeLayoutTests
{
    [Fact]
    public void The_folder_table_names_every_folder_of_the_science_library_and_no_other()
    {
        string readme = File.ReadAllText(Path.Combine(MsBuildRunner.RepoRoot, "README.md"));
        string row = readme.Split('\n').Single(l => l.StartsWith("| `src/Science` |", StringComparison.Ordinal));
        var listed = FolderName().Matches(row).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var actual = Directory.GetDirectories(Path.Combine(MsBuildRunner.RepoRoot, "src", "Science"))
            .Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).Select(n => n!).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(actual.Except(listed));   // a folder the README does not describe
        Assert.Empty(listed.Except(actual));   // a folder the README describes that is gone
    }

    [Fact]
    public void Every_top_level_path_in_the_folder_table_exists()
    {
        string readme = File.ReadAllText(Path.Combine(MsBuildRunner.RepoRoot, "README.md"));
        var rows = readme.Split('\n').Where(l => TopLevel().IsMatch(l)).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
            foreach (Match m in PathCell().Matches(row.Split('|')[1]))
            {
                string path = Path.Combine(MsBuildRunner.RepoRoot, m.Groups[1].Value.TrimEnd('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"README names {m.Groups[1].Value}, which does not exist");
            }
    }

    [GeneratedRegex(@"`([A-Z][A-Za-z]+)/`")]
    private static partial Regex FolderName();

    [GeneratedRegex(@"^\| `(src|tests|docs|build|examples|tools|bench)[/`]")]
    private static partial Regex TopLevel();

    [GeneratedRegex(@"`([A-Za-z][A-Za-z0-9_./-]*)`")]
    private static partial Regex PathCell();
}
