namespace Tract7dt.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl-C: cancel cooperatively so finished outputs stay valid; a second one kills.
            if (!cts.IsCancellationRequested) { e.Cancel = true; cts.Cancel(); }
        };
        return new CliApp().Run(args, Console.Out, Console.Error, cts.Token);
    }
}
