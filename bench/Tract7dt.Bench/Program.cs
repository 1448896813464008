using System.Reflection;

namespace Tract7dt.Bench;

/// <summary>A benchmark: prints its own table. Found by reflection, run by name.</summary>
public interface IBenchmark
{
    /// <summary>Short name used on the command line, e.g. <c>fits-window</c>.</summary>
    string Name { get; }

    /// <summary>One line saying what it measures.</summary>
    string Description { get; }

    /// <summary>Runs and prints a table to stdout. <paramref name="args"/> are the remaining arguments.</summary>
    void Run(string[] args);
}

public static class Program
{
    /// <summary><c>dotnet run -c Release --project bench/Tract7dt.Bench -- [name|all] [args]</c></summary>
    public static int Main(string[] args)
    {
        var benches = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();
        if (args.Length == 0)
        {
            Console.WriteLine("usage: Tract7dt.Bench <name>|all [args]");
            foreach (var b in benches) Console.WriteLine($"  {b.Name,-24} {b.Description}");
            return 0;
        }
        var selected = args[0] == "all" ? benches : benches.Where(b => b.Name == args[0]).ToList();
        if (selected.Count == 0)
        {
            Console.Error.WriteLine($"unknown benchmark '{args[0]}'; run without arguments for the list");
            return 2;
        }
        foreach (var b in selected)
        {
            Console.WriteLine($"== {b.Name}: {b.Description}");
            b.Run(args.Skip(1).ToArray());
        }
        return 0;
    }
}
