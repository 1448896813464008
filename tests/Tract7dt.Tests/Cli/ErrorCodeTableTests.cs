using System.Reflection;
using System.Text.RegularExpressions;
using Tract7dt.Science.Errors;
using Tract7dt.Tests.Graph;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>The README's table of the errors met most names only codes that exist.</summary>
public sealed class ErrorCodeTableTests
{
    [Fact]
    public void Every_code_the_README_lists_is_a_real_code()
    {
        var known = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
        var rows = File.ReadLines(Path.Combine(MsBuildRunner.RepoRoot, "README.md"))
            .Where(l => l.StartsWith("| T7D", StringComparison.Ordinal)).ToList();
        Assert.True(rows.Count >= 10, $"the README's error table has {rows.Count} rows");
        foreach (string row in rows)
        {
            var codes = Regex.Matches(row.Split('|')[1], @"T7D(\d{3})").Select(m => int.Parse(m.Groups[1].Value)).ToList();
            // "T7D053–T7D055" is a range: every code in it must exist
            var all = codes.Count == 2 && row.Split('|')[1].Contains('–')
                ? Enumerable.Range(codes[0], codes[1] - codes[0] + 1).ToList()
                : codes;
            foreach (int c in all) Assert.Contains($"T7D{c:D3}", known);
        }
    }
}
