using Tract7dt.Cli;
using Tract7dt.Science.Config;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>The start-up sequence of pipeline commands (docs/pipeline.md §1.3) and the utility commands, through the CLI.</summary>
public sealed class CliConfigTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-cli");

    public void Dispose() => _dir.Delete(true);

    private string P(string name) => Path.Combine(_dir.FullName, name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new CliApp().Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Dump_config_round_trips_to_the_defaults_and_refuses_to_overwrite()
    {
        var (code, _, err) = Run("dump-config", "--out", P("sub/sample_config.yaml"));
        Assert.Equal(0, code);
        Assert.Contains("Wrote sample config:", err);
        var (cfg, warnings) = ConfigLoader.Load(P("sub/sample_config.yaml"));
        Assert.Empty(warnings);
        Assert.Equal(20, cfg.PatchRun.NOptIters);
        Assert.Equal(25.0, cfg.ImageScaling.ZpRef);

        var (code2, _, err2) = Run("dump-config", "--out", P("sub/sample_config.yaml"));
        Assert.Equal(1, code2);
        Assert.Contains("--force", err2);
        Assert.Equal(0, Run("dump-config", "--out", P("sub/sample_config.yaml"), "--force").Code);
    }

    [Theory]
    [InlineData("patch_run:\n  n_opt_iters: [1, 2\n", "T7D051")]       // YAML syntax error
    [InlineData("patch_run:\n  n_opt_iters: lots\n", "T7D053")]         // wrong type
    [InlineData("patch_run:\n  psf_model: gaussian\n", "T7D054")]       // bad choice
    public void Config_errors_are_one_line_with_their_code_and_exit_1(string yaml, string code)
    {
        File.WriteAllText(P("bad.yaml"), yaml);
        var (rc, _, err) = Run("run", "--config", P("bad.yaml"));
        Assert.Equal(1, rc);
        Assert.Contains(code, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(Directory.Exists(P("work")), "nothing may be written when the config is invalid");
    }

    [Fact]
    public void Pipeline_command_saves_the_snapshot_and_logs_to_the_command_log_file()
    {
        File.WriteAllText(P("cfg.yaml"), "outputs:\n  work_dir: work\nlogging:\n  file: auto\n  level: INFO\n");
        var (_, _, err) = Run("compute-zp", "--config", P("cfg.yaml"));
        var snapshots = Directory.GetFiles(P("work"), "config_used_*.yaml");
        Assert.Single(snapshots);
        Assert.Equal(File.ReadAllBytes(P("cfg.yaml")), File.ReadAllBytes(snapshots[0]));
        Assert.True(File.Exists(P("work/compute-zp.log")));
        Assert.Contains("Config snapshot saved:", File.ReadAllText(P("work/compute-zp.log")));
        Assert.Contains("Config snapshot saved:", err);
    }

    [Fact]
    public void Unknown_key_is_a_warning_with_a_suggestion()
    {
        File.WriteAllText(P("cfg.yaml"), "outputs:\n  work_dir: work\npatch_run:\n  n_opt_iter: 5\n");
        var (_, _, err) = Run("compute-zp", "--config", P("cfg.yaml"));
        Assert.Contains("patch_run.n_opt_iter", err);
        Assert.Contains("did you mean 'patch_run.n_opt_iters'", err);
    }
}
