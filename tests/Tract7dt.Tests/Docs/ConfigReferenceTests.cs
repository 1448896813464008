using Tract7dt.Science.Config;
using Tract7dt.Tests.Graph;
using Xunit;

namespace Tract7dt.Tests.Docs;

/// <summary>docs/config-keys.md is the schema and the template, as they are.</summary>
public sealed class ConfigReferenceTests
{
    private static string Page => Path.Combine(MsBuildRunner.RepoRoot, "docs", "config-keys.md");

    [Fact]
    public void The_config_key_page_is_what_the_schema_and_the_template_generate()
    {
        string generated = ConfigReference.Markdown();
        if (Environment.GetEnvironmentVariable("T7D_UPDATE_DOCS") == "1") File.WriteAllText(Page, generated);
        Assert.True(File.Exists(Page), $"{Page} is missing: run T7D_UPDATE_DOCS=1 dotnet test --filter ConfigReference");
        Assert.True(generated == File.ReadAllText(Page).Replace("\r\n", "\n"),
            $"{Page} is out of date: run T7D_UPDATE_DOCS=1 dotnet test --filter ConfigReference and commit it");
    }

    [Fact]
    public void Every_key_of_the_schema_has_a_row_with_its_type_and_a_description()
    {
        string page = ConfigReference.Markdown();
        foreach (string key in PipelineConfig.AllKeys)
        {
            string leaf = key[(key.IndexOf('.') + 1)..];
            Assert.Contains($"| `{leaf}` | ", page);
        }
        var rows = page.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        Assert.Equal(PipelineConfig.AllKeys.Count, rows.Count);
        Assert.All(rows, r => Assert.False(r.TrimEnd().EndsWith("|  |", StringComparison.Ordinal), $"no description: {r}"));
        Assert.Contains("| `n_opt_iters` | int | `20` | ≥ 1 |", page);
    }
}
