using System.Diagnostics;
using Tract7dt.Science.Cluster;
using Xunit;

namespace Tract7dt.Tests.Cluster;

/// <summary>
/// A real single-node Slurm for the tests: uses the one already up (sinfo shows an idle or
/// mixed node), else starts one with <c>.ci/slurm/start.sh</c> (root) and stops it with
/// <c>stop.sh</c> afterwards. Tests using it are <see cref="SlurmFactAttribute"/>s, which
/// skip only when the Slurm binaries are absent; a cluster that is installed but fails to
/// start fails the tests.
/// </summary>
public sealed class SlurmClusterFixture : IDisposable
{
    private readonly string? _stopScript;

    public SlurmClusterFixture()
    {
        if (SlurmClient.MissingTools().Count > 0) return;
        if (NodeReady())
        {
            // A cluster that was already up may still hold arrays of an earlier, interrupted test
            // run; they would keep the single node busy and starve these tests. Cancel those only
            // (test job names start with "t7d-"; the pipeline's own name "tract7dt" is left alone).
            CancelLeftoverTestJobs();
            return;
        }
        string ci = Path.Join(RepoRoot(), ".ci", "slurm");
        var (rc, output) = Run("bash", Path.Join(ci, "start.sh"));
        if (rc != 0) throw new InvalidOperationException($".ci/slurm/start.sh failed ({rc}):\n{output}");
        _stopScript = Path.Join(ci, "stop.sh");
    }

    /// <summary>The repository root (the folder holding Tract7dt.sln), found above the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Join(d.FullName, "Tract7dt.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("Tract7dt.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        if (_stopScript is not null) Run("bash", _stopScript);
    }

    private static void CancelLeftoverTestJobs()
    {
        var (rc, output) = Run("squeue", "-h", "-o", "%A|%j");
        if (rc != 0) return;
        var ids = output.Split('\n').Select(l => l.Split('|')).Where(f => f.Length == 2 && f[1].Trim().StartsWith("t7d-", StringComparison.Ordinal))
            .Select(f => f[0].Trim()).Distinct().ToArray();
        if (ids.Length > 0) Run("scancel", ids);
    }

    private static bool NodeReady()
    {
        var (rc, output) = Run("sinfo", "-h", "-o", "%T");
        return rc == 0 && output.Split('\n').Any(s => s.Trim() is "idle" or "mixed" or "allocated");
    }

    internal static (int Rc, string Output) Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string o = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o + err.Result);
    }
}

[CollectionDefinition(Name)]
public sealed class SlurmCollection : ICollectionFixture<SlurmClusterFixture>, ICollectionFixture<TinyTile>
{
    public const string Name = "slurm cluster";
}

/// <summary>A fact that needs Slurm; skipped, with the reason, only when its tools are not installed.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        var missing = SlurmClient.MissingTools();
        if (missing.Count > 0)
            Skip = $"Slurm is not installed ({string.Join(", ", missing)} not on PATH); run .ci/slurm/install.sh as root (.ci/run does).";
    }
}
