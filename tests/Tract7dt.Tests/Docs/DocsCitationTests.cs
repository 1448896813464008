using System.Text.RegularExpressions;
using Tract7dt.Tests.Graph;
using Xunit;

namespace Tract7dt.Tests.Docs;

/// <summary>
/// The code cites the project's own documentation as <c>docs/&lt;page&gt;.md §&lt;n&gt;</c>
/// (with follow-on sections such as <c>–§16.5</c> or <c>, §7.1</c>). Every cited page and
/// numbered section must exist, and no comment may cite a page by its bare name (a page
/// outside the repository, or one whose path was left out).
/// </summary>
public sealed partial class DocsCitationTests
{
    // docs/fitting.md §16.3–§16.5, docs/pipeline.md §6.1, §7.1, docs/fitting.md §9 / §10
    [GeneratedRegex(@"docs/([a-z][a-z0-9-]*)\.md §(\d+(?:\.\d+)*)((?:(?:–|, | / | and |, and )§\d+(?:\.\d+)*)*)")]
    private static partial Regex Citation();

    [GeneratedRegex(@"§(\d+(?:\.\d+)*)")]
    private static partial Regex Section();

    // A page name with a section sign, not preceded by "docs/": the old external citations.
    [GeneratedRegex(@"(?<![\w/.-])[a-z][a-z0-9-]*\.md(?: Part B)? ?§")]
    private static partial Regex BarePageCitation();

    // "## 11. Final catalogue", "### 11.3 Exclusion columns", "#### 2.5.1 Cell background"
    [GeneratedRegex(@"^#{1,6} (\d+(?:\.\d+)*)\.? ", RegexOptions.Multiline)]
    private static partial Regex NumberedHeading();

    private static readonly string[] ScannedFolders = ["src", "tests", "tools", "bench", "build", "examples"];
    private static readonly string[] ScannedExtensions = [".cs", ".py", ".sh", ".targets", ".proj", ".props"];

    private static IEnumerable<string> SourceFiles()
    {
        string self = Path.GetFullPath(Path.Combine(MsBuildRunner.RepoRoot, "tests", "Tract7dt.Tests", "Docs", "DocsCitationTests.cs"));
        foreach (string folder in ScannedFolders)
        {
            string dir = Path.Combine(MsBuildRunner.RepoRoot, folder);
            if (!Directory.Exists(dir)) continue;
            foreach (string f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            {
                string sep = Path.DirectorySeparatorChar.ToString();
                if (f.Contains(sep + "bin" + sep, StringComparison.Ordinal) || f.Contains(sep + "obj" + sep, StringComparison.Ordinal))
                    continue;
                if (!ScannedExtensions.Contains(Path.GetExtension(f), StringComparer.Ordinal)) continue;
                if (string.Equals(Path.GetFullPath(f), self, StringComparison.Ordinal)) continue;
                yield return f;
            }
        }
    }

    private static Dictionary<string, HashSet<string>> DocSections()
    {
        var pages = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string f in Directory.EnumerateFiles(Path.Combine(MsBuildRunner.RepoRoot, "docs"), "*.md"))
            pages[Path.GetFileNameWithoutExtension(f)] = NumberedHeading().Matches(File.ReadAllText(f))
                .Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        return pages;
    }

    private static string Where(string file, int line) =>
        $"{Path.GetRelativePath(MsBuildRunner.RepoRoot, file)}:{line}";

    [Fact]
    public void Every_cited_docs_page_and_section_exists()
    {
        var pages = DocSections();
        var problems = new List<string>();
        int citations = 0;
        foreach (string file in SourceFiles())
        {
            int n = 0;
            foreach (string line in File.ReadLines(file))
            {
                n++;
                foreach (Match m in Citation().Matches(line))
                {
                    citations++;
                    string page = m.Groups[1].Value;
                    if (!pages.TryGetValue(page, out var sections))
                    {
                        problems.Add($"{Where(file, n)}: docs/{page}.md does not exist ({m.Value})");
                        continue;
                    }
                    var cited = new List<string> { m.Groups[2].Value };
                    cited.AddRange(Section().Matches(m.Groups[3].Value).Select(s => s.Groups[1].Value));
                    foreach (string s in cited.Where(s => !sections.Contains(s)))
                        problems.Add($"{Where(file, n)}: docs/{page}.md has no section {s} ({m.Value})");
                }
            }
        }
        Assert.True(citations >= 100, $"only {citations} docs citations found; is the scan looking in the right place?");
        Assert.True(problems.Count == 0, "Citations of missing docs sections:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void No_comment_cites_a_page_without_its_docs_path()
    {
        var problems = new List<string>();
        foreach (string file in SourceFiles())
        {
            int n = 0;
            foreach (string line in File.ReadLines(file))
            {
                n++;
                foreach (Match m in BarePageCitation().Matches(line))
                    problems.Add($"{Where(file, n)}: '{m.Value}' (cite it as docs/<page>.md §<n>)");
                if (line.Contains("shared/spec", StringComparison.Ordinal))
                    problems.Add($"{Where(file, n)}: cites a folder outside the repository");
            }
        }
        Assert.True(problems.Count == 0, "Citations of pages that are not the project's docs:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void The_docs_pages_number_their_sections()
    {
        var pages = DocSections();
        foreach (string page in new[] { "pipeline", "inputs", "outputs", "config", "epsf", "fitting" })
        {
            Assert.True(pages.ContainsKey(page), $"docs/{page}.md is missing");
            Assert.True(pages[page].Count >= 5, $"docs/{page}.md has {pages[page].Count} numbered sections");
        }
    }
}
