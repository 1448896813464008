using Tract7dt.Cli;
using Xunit;

namespace Tract7dt.Tests.Cli;

public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new CliApp().Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("rnu", "run")]
    [InlineData("mrege", "merge")]
    [InlineData("verfy", "verify")]
    public void A_mistyped_command_is_a_usage_error_that_suggests_the_nearest(string typed, string meant)
    {
        var (code, _, err) = Run(typed, "--config", "x.yaml");
        Assert.Equal(2, code);
        Assert.Contains($"unknown command '{typed}'; did you mean '{meant}'?", err);
    }

    [Theory]
    [InlineData("--preset must be", "simulate", "--preset", "huge", "--out", "x")]
    [InlineData("--sources expects", "simulate", "--preset", "tiny", "--sources", "abc", "--out", "x")]
    [InlineData("--seed expects", "simulate", "--preset", "tiny", "--seed", "-4", "--out", "x")]
    public void A_bad_option_value_is_a_usage_error_not_a_crash(string message, params string[] args)
    {
        var (code, _, e) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains($"tract7dt {args[0]}: error: {message}", e);
        Assert.DoesNotContain("   at ", e);
    }

    [Fact]
    public void Simulate_keeps_an_existing_set_unless_forced()
    {
        var dir = Directory.CreateTempSubdirectory("t7d-cli-sim");
        try
        {
            string[] args = ["simulate", "--preset", "tiny", "--size", "120", "120", "--sources", "8", "--out", dir.FullName];
            Assert.Equal(0, Run(args).Code);
            string config = Path.Combine(dir.FullName, "config.yaml");
            File.AppendAllText(config, "# edited by hand\n");
            var (code, _, e) = Run(args);
            Assert.Equal(2, code);
            Assert.Contains("--force", e);
            Assert.EndsWith("# edited by hand\n", File.ReadAllText(config));
            Assert.Equal(0, Run([.. args, "--force"]).Code);
            Assert.DoesNotContain("# edited by hand", File.ReadAllText(config));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void A_bad_executor_is_a_usage_error_before_anything_is_written()
    {
        var dir = Directory.CreateTempSubdirectory("t7d-cli-exec");
        try
        {
            string config = Path.Combine(dir.FullName, "c.yaml");
            Assert.Equal(0, Run("dump-config", "--out", config).Code);
            var (code, _, e) = Run("run", "--config", config, "--executor", "foo");
            Assert.Equal(2, code);
            Assert.Contains("--executor must be 'local' or 'slurm'", e);
            Assert.Equal([config], Directory.GetFiles(dir.FullName));
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Version_prints_to_stdout_and_exits_0()
    {
        var (code, o, e) = Run("--version");
        Assert.Equal(0, code);
        Assert.StartsWith("tract7dt ", o);
        // the version and, built from a git checkout, the commit (12 hex digits)
        Assert.Matches(@"^tract7dt \d+\.\d+\.\d+(\+[0-9a-f]{12})?\n$", o.Replace("\r", ""));
        Assert.Equal("", e);
    }

    [Fact]
    public void Help_lists_every_command_of_the_spec()
    {
        var (code, o, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var c in new[] { "run", "run-epsf", "build-patches", "build-patch-inputs", "run-patches", "merge", "compute-zp", "dump-config", "simulate", "score" })
            Assert.Contains($"  {c} ", o);
    }

    [Theory]
    [InlineData("")]
    [InlineData("bogus")]
    [InlineData("run")]
    [InlineData("run --config")]
    [InlineData("run --config x.yaml --nope")]
    [InlineData("dump-config --force=yes")]
    public void Usage_errors_exit_2_with_a_message_on_stderr(string commandLine)
    {
        var (code, o, e) = Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Equal("", o);
        Assert.Contains("error:", e);
    }

    [Fact]
    public void Command_help_shows_its_options()
    {
        var (code, o, _) = Run("simulate", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--preset NAME", o);
        Assert.Contains("--size W H", o);
    }

    [Fact]
    public void Missing_config_file_is_one_clear_error_with_exit_1()
    {
        var path = Path.Combine(Path.GetTempPath(), "t7d-no-such-" + Guid.NewGuid().ToString("N") + ".yaml");
        var (code, _, e) = Run("run", "--config", path);
        Assert.Equal(1, code);
        Assert.Contains("T7D001", e);
        Assert.Contains(path, e);
        Assert.Single(e.Trim().Split('\n'));
    }

    [Fact]
    public void Option_values_accept_equals_form_and_multiple_values()
    {
        var specs = new[] { new OptionSpec("out", "DIR", ""), new OptionSpec("size", "W H", "", Arity: 2), new OptionSpec("json", null, "") };
        var p = ArgParser.Parse(specs, new[] { "--out=a b", "--size", "10", "20", "--json" });
        Assert.Equal("a b", p.Get("out"));
        Assert.Equal(new[] { "10", "20" }, p.GetAll("size"));
        Assert.True(p.Has("json"));
    }
}
