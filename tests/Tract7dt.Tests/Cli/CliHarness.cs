using Tract7dt.Cli;

namespace Tract7dt.Tests.Cli;

/// <summary>Runs the CLI in-process and returns its exit code and what it printed.</summary>
internal static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new CliApp().Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
