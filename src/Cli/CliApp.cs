using System.Reflection;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;

namespace Tract7dt.Cli;

/// <summary>A sub-command of <c>tract7dt</c>.</summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    IReadOnlyList<OptionSpec> Options { get; }

    /// <summary>Runs the command; returns the process exit code.</summary>
    int Execute(ParsedArgs args, CliContext context);
}

/// <summary>What a command may use of its environment: the two output streams and a
/// start-up logger (stderr, INFO) that pipeline commands replace from <c>logging.*</c>.</summary>
public sealed class CliContext
{
    public CliContext(TextWriter stdout, TextWriter stderr, string currentDirectory)
    {
        Out = stdout;
        Err = stderr;
        CurrentDirectory = currentDirectory;
        StartupSink = new TextLogSink(stderr, null, LogLevel.Info);
    }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    public string CurrentDirectory { get; }

    /// <summary>Built-in logging before a config is read: INFO, stderr, no file.</summary>
    public TextLogSink StartupSink { get; }

    /// <summary>The file sink of a pipeline command once configured (so errors reach the log too).</summary>
    public TextLogSink? ConfiguredSink { get; set; }

    /// <summary>Cancelled on Ctrl-C.</summary>
    public CancellationToken Cancellation { get; init; }

    public Log Logger(string component) => new(ConfiguredSink ?? (ILogSink)StartupSink, component);
}

/// <summary>
/// The <c>tract7dt</c> front end: global options, the command table, usage errors (exit 2),
/// user errors as one line with their code (exit 1), Ctrl-C (exit 130).
/// </summary>
public sealed class CliApp
{
    private readonly IReadOnlyList<ICommand> _commands;

    public CliApp(IReadOnlyList<ICommand>? commands = null) => _commands = commands ?? Commands.All();

    /// <summary>The version and the commit it was built from (<c>0.1.0+1a2b3c4d5e6f</c>, the SDK's source
    /// revision shortened to 12 hex digits), so a log or a bug report names the exact build.</summary>
    public static string Version
    {
        get
        {
            string? info = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (info is null) return typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            int plus = info.IndexOf('+');
            return plus < 0 || info.Length - plus - 1 <= 12 ? info : info[..(plus + 13)];
        }
    }

    public int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        if (args.Length == 0)
        {
            stderr.Write(Usage());
            stderr.WriteLine("tract7dt: error: a command is required");
            return 2;
        }
        if (args[0] == "--version") { stdout.WriteLine($"tract7dt {Version}"); return 0; }
        if (args[0] is "-h" or "--help") { stdout.Write(Usage()); return 0; }

        var command = _commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            stderr.Write(Usage());
            string? near = Tract7dt.Science.Config.EditDistance.Suggest(args[0], _commands.Select(c => c.Name));
            stderr.WriteLine($"tract7dt: error: unknown command '{args[0]}'" + (near is null ? "" : $"; did you mean '{near}'?") +
                             $" (choose from {string.Join(", ", _commands.Select(c => c.Name))})");
            return 2;
        }
        var rest = args.Skip(1).ToArray();
        if (rest.Any(a => a is "-h" or "--help")) { stdout.Write(CommandUsage(command)); return 0; }

        ParsedArgs parsed;
        try
        {
            parsed = ArgParser.Parse(command.Options, rest);
        }
        catch (UsageException e)
        {
            stderr.Write(CommandUsage(command));
            stderr.WriteLine($"tract7dt {command.Name}: error: {e.Message}");
            return 2;
        }

        var context = new CliContext(stdout, stderr, Environment.CurrentDirectory) { Cancellation = cancellation };
        try
        {
            return command.Execute(parsed, context);
        }
        catch (UsageException e)
        {
            // an option's value judged by the command (a preset, a number, an executor): a usage error, not a crash
            stderr.Write(CommandUsage(command));
            stderr.WriteLine($"tract7dt {command.Name}: error: {e.Message}");
            return 2;
        }
        catch (Exception ex) when (Tract7dtException.Find(ex) is { } e)
        {
            ReportError(context, $"error {e.Code}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            ReportError(context, "interrupted (Ctrl-C); finished outputs are kept, unfinished ones were not written");
            return 130;
        }
        catch (Exception ex) when (IoFailure.Find(ex) is { } io)
        {
            ReportError(context, $"error {ErrorCodes.IoFailure}: {IoFailure.Describe(io)}");
            return 1;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // a defect of ours: one coded line, the trace in a crash file beside the log
            string? folder = context.ConfiguredSink?.FilePath is { } log ? Path.GetDirectoryName(log) : null;
            ReportError(context, CrashReport.Write(ex, $"tract7dt {command.Name}", folder));
            return 1;
        }
        finally
        {
            context.ConfiguredSink?.Dispose();
        }
    }

    /// <summary>A user error: one line on stderr, and in the log file when one is open.</summary>
    private static void ReportError(CliContext context, string line)
    {
        context.Err.WriteLine($"tract7dt: {line}");
        if (context.ConfiguredSink?.FilePath is { } file)
        {
            try { File.AppendAllText(file, line + Environment.NewLine); } catch (IOException) { }
        }
    }

    public string Usage()
    {
        var w = new StringWriter();
        w.WriteLine("usage: tract7dt [--version] [-h] <command> [options]");
        w.WriteLine();
        w.WriteLine("Multi-band forced photometry of 7DT images (a C# tract7dt).");
        w.WriteLine();
        w.WriteLine("commands:");
        foreach (var c in _commands) w.WriteLine($"  {c.Name,-20} {c.Summary}");
        w.WriteLine();
        w.WriteLine("Run 'tract7dt <command> --help' for the options of a command.");
        return w.ToString();
    }

    public static string CommandUsage(ICommand c)
    {
        var w = new StringWriter();
        var synopsis = string.Join(" ", c.Options.Select(o =>
        {
            string s = o.IsFlag ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
            return o.Required ? s : $"[{s}]";
        }));
        w.WriteLine($"usage: tract7dt {c.Name} {synopsis}".TrimEnd());
        w.WriteLine();
        w.WriteLine(c.Summary);
        if (c.Options.Count > 0)
        {
            w.WriteLine();
            w.WriteLine("options:");
            foreach (var o in c.Options)
            {
                string s = o.IsFlag ? $"--{o.Name}" : $"--{o.Name} {o.ValueName}";
                w.WriteLine($"  {s,-28} {o.Help}{(o.Required ? " (required)" : "")}");
            }
        }
        return w.ToString();
    }
}
