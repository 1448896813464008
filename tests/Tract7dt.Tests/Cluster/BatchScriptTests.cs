using System.Diagnostics;
using Tract7dt.Science.Cluster;
using Xunit;

namespace Tract7dt.Tests.Cluster;

/// <summary>The generated array script, run with plain bash (no Slurm needed).</summary>
public class BatchScriptTests
{
    [Theory]
    [InlineData("plain/path-1.0", "plain/path-1.0")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    [InlineData("$HOME", "'$HOME'")]
    public void QuoteIsBashSafe(string word, string quoted) => Assert.Equal(quoted, BatchScript.Quote(word));

    [Fact]
    public void EachIndexRunsItsGroupAndAFailureDoesNotStopTheGroup()
    {
        string dir = Directory.CreateTempSubdirectory("t7d-script-").FullName;
        try
        {
            string Touch(string name) => Path.Join(dir, name);
            var groups = new List<IReadOnlyList<ClusterWorkItem>>
            {
                new[] { new ClusterWorkItem("a", ["touch", Touch("a")]), new ClusterWorkItem("b", ["touch", Touch("b it's")]) },
                new[] { new ClusterWorkItem("c", ["false"]), new ClusterWorkItem("d", ["touch", Touch("d")]) },
            };
            string script = Path.Join(dir, "s.sh");
            File.WriteAllText(script, BatchScript.Text(groups));

            Assert.Equal(0, RunBash(script, "0", out _));
            Assert.True(File.Exists(Touch("a")) && File.Exists(Touch("b it's")));
            Assert.False(File.Exists(Touch("d")));

            Assert.Equal(1, RunBash(script, "1", out string err));
            Assert.True(File.Exists(Touch("d")));          // ran after the failing item
            Assert.Contains("item c FAILED", err);

            Assert.Equal(2, RunBash(script, "7", out err));
            Assert.Contains("not in this script", err);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static int RunBash(string script, string index, out string stderr)
    {
        var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["SLURM_ARRAY_TASK_ID"] = index;
        using var p = Process.Start(psi)!;
        stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
