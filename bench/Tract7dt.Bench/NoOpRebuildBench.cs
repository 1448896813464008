using System.Diagnostics;
using System.Globalization;

namespace Tract7dt.Bench;

/// <summary>
/// The no-op rebuild of the <c>sample</c> preset: after one full build, how long does
/// <c>dotnet msbuild examples/Run.proj</c> take when nothing changed, and after every input
/// was touched (hash cache misses, same content)? Target: under 5 s (issue "The build graph").
/// Usage: <c>no-op-rebuild [config.yaml]</c>; without a config, the sample preset simulated
/// into <c>examples/sample</c> (the README's run) is used and built first if needed.
/// </summary>
public sealed class NoOpRebuildBench : IBenchmark
{
    /// <summary>The issue's budget for a no-op rebuild of the sample preset.</summary>
    private const double BudgetSeconds = 5.0;

    public string Name => "no-op-rebuild";

    public string Description => "dotnet msbuild examples/Run.proj when nothing changed (sample preset; target < 5 s)";

    public void Run(string[] args)
    {
        string root = FindRepoRoot();
        string proj = Path.Combine(root, "examples", "Run.proj");
        var common = new List<string> { "msbuild", proj, "-nologo", "-nodeReuse:false", "-v:m" };
        if (args.Length > 0) common.Add("-p:Config=" + Path.GetFullPath(args[0]));
        string config = args.Length > 0 ? Path.GetFullPath(args[0]) : Path.Combine(root, "examples", "sample", "config.yaml");

        var (first, ok) = Time(common);
        Console.WriteLine($"{"build (first / catch-up)",-34} {Sec(first),8} s  {(ok ? "ok" : "FAILED")}");
        if (!ok) return;

        var (noop, okNoop) = Time(common);
        var (question, okQ) = Time([.. common, "-question"]);
        string inputs = Path.GetDirectoryName(config)!;
        var now = DateTime.UtcNow;
        foreach (var f in Directory.EnumerateFiles(inputs, "*", SearchOption.TopDirectoryOnly)
                     .Concat(Directory.Exists(Path.Combine(inputs, "images")) ? Directory.EnumerateFiles(Path.Combine(inputs, "images")) : []))
            File.SetLastWriteTimeUtc(f, now);
        var (touched, okT) = Time([.. common, "-question"]);
        var (tasksPrebuilt, okP) = Time([.. common, "-p:Tract7dtBuildTasks=false"]);

        Console.WriteLine($"{"no-op rebuild",-34} {Sec(noop),8} s  {Verdict(okNoop, noop)}");
        Console.WriteLine($"{"no-op -question",-34} {Sec(question),8} s  {Verdict(okQ, question)}");
        Console.WriteLine($"{"-question after touching inputs",-34} {Sec(touched),8} s  {Verdict(okT, touched)}");
        Console.WriteLine($"{"no-op, tasks not rebuilt",-34} {Sec(tasksPrebuilt),8} s  {Verdict(okP, tasksPrebuilt)}");
    }

    private static string Verdict(bool ok, double s) =>
        !ok ? "FAILED" : s < BudgetSeconds ? $"ok (< {BudgetSeconds:F0} s)" : $"OVER BUDGET ({BudgetSeconds:F0} s)";

    private static string Sec(double s) => s.ToString("F2", CultureInfo.InvariantCulture);

    private static (double Seconds, bool Ok) Time(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        sw.Stop();
        if (p.ExitCode != 0) Console.Error.WriteLine(so.Result + se.Result);
        return (sw.Elapsed.TotalSeconds, p.ExitCode == 0);
    }

    /// <summary>The repository's root (the folder holding <c>examples/Run.proj</c>), above the benchmark or the current folder.</summary>
    internal static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "examples", "Run.proj"))) return d.FullName;
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "examples", "Run.proj"))) return d.FullName;
        throw new InvalidOperationException("examples/Run.proj not found above the benchmark or the current folder");
    }
}
