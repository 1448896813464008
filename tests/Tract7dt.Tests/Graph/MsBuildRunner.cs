using System.Diagnostics;
using System.Text;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// Runs <c>dotnet msbuild examples/Run.proj</c> from this repository against a config, with
/// the tasks assembly of the test output folder (already built, so no nested build) and,
/// unless <c>realStages</c> is set, the stand-in stages of <see cref="FakePipeline"/> as a
/// stage plugin. No node reuse: nothing outlives a test.
/// </summary>
internal static class MsBuildRunner
{
    /// <summary>Upper bound for one msbuild run in the tests (a run takes about 1 s).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string RunProj => Path.Combine(RepoRoot, "examples", "Run.proj");

    public sealed record Result(int ExitCode, string Output);

    public static ProcessStartInfo StartInfo(string configPath, IEnumerable<string> extraArgs, IDictionary<string, string>? env = null,
        bool realStages = false)
    {
        string bin = AppContext.BaseDirectory;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        foreach (var a in new[]
        {
            "msbuild", RunProj, "-nologo", "-nodeReuse:false", "-v:n",
            "-p:Config=" + configPath,
            "-p:Tract7dtBuildTasks=false",
            "-p:Tract7dtTasksDll=" + (realStages ? TasksBuildDll() : Path.Combine(bin, "Tract7dt.Tasks.dll")),
        }.Concat(realStages ? [] : new[]
        {
            "-p:Tract7dtStagePluginPath=" + Path.Combine(bin, "Tract7dt.Tests.dll"),
            "-p:Tract7dtStagePluginType=" + typeof(FakePipeline).FullName,
        }).Concat(extraArgs))
            psi.ArgumentList.Add(a);
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's own MSBuild variables would point the child at the wrong SDK pieces.
        foreach (var v in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
            psi.Environment.Remove(v);
        if (env is not null)
            foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs msbuild with the stand-in stages.</summary>
    public static Result Run(string configPath, params string[] extraArgs) => Run(StartInfo(configPath, extraArgs), extraArgs);

    /// <summary>Runs msbuild with the stand-in stages and extra environment variables.</summary>
    public static Result Run(string configPath, IDictionary<string, string> env, params string[] extraArgs) =>
        Run(StartInfo(configPath, extraArgs, env), extraArgs);

    /// <summary>Runs msbuild with the real (registered) science stages.</summary>
    public static Result RunReal(string configPath, params string[] extraArgs) =>
        Run(StartInfo(configPath, extraArgs, realStages: true), extraArgs);

    private static Result Run(ProcessStartInfo psi, string[] extraArgs)
    {
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"msbuild did not finish in {Timeout}: {string.Join(' ', extraArgs)}");
        }
        output.Append(stdout.Result).Append(stderr.Result);
        return new Result(p.ExitCode, output.ToString());
    }

    /// <summary>
    /// The tasks assembly in its own build folder (src/Tasks/bin/&lt;Configuration&gt;/&lt;tfm&gt;,
    /// built as a reference of this test project). The real stages need it there: only that
    /// folder has Tract7dt.Tasks.deps.json, through which the task host finds SkiaSharp's
    /// native library (runtimes/&lt;rid&gt;/native) for the plots; the copy in the test output
    /// folder has no deps file of its own and fails at the first plot.
    /// </summary>
    private static string TasksBuildDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string dll = Path.Combine(RepoRoot, "src", "Tasks", "bin", bin.Parent!.Name, bin.Name, "Tract7dt.Tasks.dll");
        if (!File.Exists(dll) || !File.Exists(Path.ChangeExtension(dll, ".deps.json")))
            throw new InvalidOperationException($"{dll} (with its .deps.json) not found; build src/Tasks in this configuration first.");
        return dll;
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tract7dt.sln")) && File.Exists(Path.Combine(d.FullName, "examples", "Run.proj")))
                return d.FullName;
        throw new InvalidOperationException("Tract7dt.sln not found above " + AppContext.BaseDirectory);
    }
}
