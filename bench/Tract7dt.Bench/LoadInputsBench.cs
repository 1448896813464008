using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Config;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Bench;

/// <summary>
/// Peak memory and time of the LoadInputs stage. Args: <c>[bands] [width] [height]</c>
/// (default 20 × 4000 × 4000: the issue's memory case) to simulate a tile first, or
/// <c>--config path</c> to run on an existing input set. The peak RSS (Linux VmHWM) is
/// reset after the simulation so only the stage is measured.
/// </summary>
public sealed class LoadInputsBench : IBenchmark
{
    public string Name => "load-inputs";

    public string Description => "LoadInputs on a simulated tile (default 20 bands 4000x4000): time and peak RSS";

    public void Run(string[] args)
    {
        string? config = null;
        if (args.Length >= 2 && args[0] == "--config") config = Path.GetFullPath(args[1]);
        else
        {
            int nb = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
            int w = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4000;
            int h = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4000;
            string temp = Path.Combine(Path.GetTempPath(), $"t7d-bench-load-{Environment.ProcessId}");
            var bands = SimulationOptions.TileBands().Take(nb).ToArray();
            var sw0 = Stopwatch.StartNew();
            Simulator.Run(new SimulationOptions(temp, SimulationPreset.Sample, bands, w, h, Sources: 2000));
            Console.WriteLine($"simulated {nb} bands {w}x{h} in {sw0.Elapsed.TotalSeconds:F1}s ({temp})");
            File.AppendAllText(Path.Combine(temp, "config.yaml"), "plotting:\n  dpi: 100\n");
            // Measure in a fresh process: the simulator's memory would otherwise count.
            try { RunChild(Path.Combine(temp, "config.yaml")); }
            finally { try { Directory.Delete(temp, true); } catch (IOException) { } }
            return;
        }
        var (cfg, _) = ConfigLoader.Load(config);
        var sink = new MemoryLogSink(LogLevel.Info);
        var ctx = new StageContext(cfg, sink);
        GC.Collect();
        long before = PeakRss(reset: true);
        var sw = Stopwatch.StartNew();
        new LoadInputsStage().Run(ctx);
        double s = sw.Elapsed.TotalSeconds;
        long peak = PeakRss(reset: false);
        foreach (var r in sink.Records.Where(r => r.Message.StartsWith("load_inputs timing", StringComparison.Ordinal)))
            Console.WriteLine(r.Message);
        if (cfg.Zp.Enabled)
        {
            var sa = Stopwatch.StartNew();
            new AugmentGaiaStage().Run(ctx);
            Console.WriteLine($"{"AugmentGaia time [s]",-28}{sa.Elapsed.TotalSeconds,10:F2}");
        }
        Console.WriteLine($"{"stage time [s]",-28}{s,10:F2}");
        Console.WriteLine($"{"RSS before stage [MiB]",-28}{before / 1048576.0,10:F0}");
        Console.WriteLine($"{"peak RSS during stage [MiB]",-28}{peak / 1048576.0,10:F0}");
        Console.WriteLine($"{"managed heap after [MiB]",-28}{GC.GetTotalMemory(false) / 1048576.0,10:F0}");
    }

    /// <summary>Runs this benchmark with <c>--config</c> in a new process and copies its output.</summary>
    private static void RunChild(string config)
    {
        string dll = typeof(LoadInputsBench).Assembly.Location;
        string host = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (!Path.GetFileNameWithoutExtension(host).Equals(Path.GetFileNameWithoutExtension(dll), StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(dll);   // running under "dotnet <dll>"
        foreach (var a in new[] { "load-inputs", "--config", config }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Console.Write(string.Join('\n', output.Split('\n').Skip(1)));   // drop the child's "== name" header
    }

    /// <summary>VmHWM (peak resident set) in bytes; with <paramref name="reset"/>, resets the
    /// peak to the current RSS first (Linux /proc/self/clear_refs "5") and returns the current RSS.</summary>
    private static long PeakRss(bool reset)
    {
        if (reset)
        {
            try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(reset ? "VmRSS:" : "VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        using var p = Process.GetCurrentProcess();
        return reset ? p.WorkingSet64 : p.PeakWorkingSet64;
    }
}
