using System.Diagnostics;
using System.Text;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// Runs <c>dotnet msbuild examples/Run.proj</c> from this repository against a config, with
/// the tasks assembly of the test output folder (already built, so no nested build) and the
/// stand-in stages of <see cref="FakePipeline"/> as a stage plugin. No node reuse: nothing
/// outlives a test.
/// </summary>
internal static class MsBuildRunner
{
    /// <summary>Upper bound for one msbuild run in the tests (a run takes about 1 s).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string RunProj => Path.Combine(RepoRoot, "examples", "Run.proj");

    public sealed record Result(int ExitCode, string Output);

    public static ProcessStartInfo StartInfo(string configPath, IEnumerable<string> extraArgs, IDictionary<string, string>? env = null)
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
            "-p:Tract7dtTasksDll=" + Path.Combine(bin, "Tract7dt.Tasks.dll"),
            "-p:Tract7dtStagePluginPath=" + Path.Combine(bin, "Tract7dt.Tests.dll"),
            "-p:Tract7dtStagePluginType=" + typeof(FakePipeline).FullName,
        }.Concat(extraArgs))
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

    public static Result Run(string configPath, params string[] extraArgs)
    {
        using var p = Process.Start(StartInfo(configPath, extraArgs))!;
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

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tract7dt.sln")) && File.Exists(Path.Combine(d.FullName, "examples", "Run.proj")))
                return d.FullName;
        throw new InvalidOperationException("Tract7dt.sln not found above " + AppContext.BaseDirectory);
    }
}
