using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.State;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Bench;

/// <summary>
/// BuildEpsf on the <c>sample</c> preset (5 bands, 2000×2000): a 7×7 grid × 5 bands, wall
/// time of the full stage (cells, PNGs at the given dpi, meta, summary), then of an
/// up-to-date rerun (keys only). Args: [workers] [dpi] [ngrid] [out dir]. The state files
/// LoadInputs would write are made here from the image headers.
/// </summary>
public sealed class EpsfBench : IBenchmark
{
    public string Name => "epsf";

    public string Description => "BuildEpsf stage: 7x7 cells x 5 bands on the sample preset (time, ok/fail cells)";

    public void Run(string[] args)
    {
        int workers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        int dpi = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        int ngrid = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
        string dir = args.Length > 3 ? args[3] : Path.Combine(Path.GetTempPath(), $"t7d-epsfbench-{Environment.ProcessId}");
        bool keep = args.Length > 3;
        try
        {
            var sw = Stopwatch.StartNew();
            if (!File.Exists(Path.Combine(dir, "config.yaml")))
                Simulator.Run(new SimulationOptions(dir, SimulationPreset.Sample, Seed: 7));
            Console.WriteLine($"simulate (sample preset): {sw.Elapsed.TotalSeconds:F2} s");

            string yaml = File.ReadAllText(Path.Combine(dir, "config.yaml"));
            yaml = System.Text.RegularExpressions.Regex.Replace(yaml, "(?m)^  epsf_ngrid: .*$",
                $"  epsf_ngrid: {ngrid}\n  parallel_bands: true\n  max_workers: {workers}");
            yaml += $"plotting:\n  dpi: {dpi}\n";
            string cfgPath = Path.Combine(dir, "bench_epsf.yaml");
            File.WriteAllText(cfgPath, yaml.Replace("work_dir: \"work\"", "work_dir: \"work_bench\""));
            var (config, _) = ConfigLoader.Load(cfgPath);
            var ctx = new StageContext(config, new MemoryLogSink(LogLevel.Warning)) { CpuCount = Environment.ProcessorCount };
            WriteState(ctx, dir);

            var stage = new BuildEpsfStage();
            sw.Restart();
            stage.Run(ctx);
            double build = sw.Elapsed.TotalSeconds;
            // the cells (band/cell ids); the summary item writes epsf_summary.json
            var plan = stage.Plan(ctx).Where(i => i.Id.Contains('/')).ToList();
            int ok = plan.Count(i => Science.Psf.Stage.EpsfCellMeta.ReadUsage(
                ctx.Layout.EpsfMeta(i.Id[..i.Id.IndexOf('/')], i.Id[(i.Id.IndexOf('/') + 1)..])) is { Status: "ok" });
            sw.Restart();
            stage.Run(ctx);
            double rerun = sw.Elapsed.TotalSeconds;
            // the cells' pictures, their own stage (after the catalogue in a run)
            sw.Restart();
            new EpsfDiagnosticsStage().Run(ctx);
            double pictures = sw.Elapsed.TotalSeconds;
            Console.WriteLine($"| grid | bands | cells | ok | fail | workers | dpi | build s | per cell s | up-to-date rerun s | pictures s |");
            Console.WriteLine($"| {ngrid}x{ngrid} | {FramesManifest.Read(ctx.Layout.FramesManifest).Frames.Count} | {plan.Count} | {ok} | {plan.Count - ok} | {workers} | {dpi} | " +
                              $"{build:F2} | {build / Math.Max(1, plan.Count):F3} | {rerun:F2} | {pictures:F2} |");
            Console.WriteLine($"outputs: {ctx.Layout.EpsfDir}");
        }
        finally
        {
            if (!keep) try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    /// <summary>state/frames.json and state/catalog_flagged.csv as LoadInputs leaves them.</summary>
    private static void WriteState(StageContext ctx, string dir)
    {
        Directory.CreateDirectory(ctx.Layout.StateDir);
        int margin = ctx.Config.Crop.Enabled ? ctx.Config.Crop.Margin : 0;
        var frames = new List<FrameEntry>();
        foreach (var line in File.ReadAllLines(Path.Combine(dir, "image_list.txt")))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0) continue;
            string path = Path.GetFullPath(Path.Combine(dir, line.Trim()));
            var h = FitsFile.ReadPrimaryHeader(path);
            double zp = h.GetDouble("ZP_AUTO")!.Value;
            frames.Add(new FrameEntry
            {
                Band = h.GetString("FILTER")!.Trim(), Path = path, ContentHash = ctx.Hasher.HashFile(path),
                Width = (int)h.GetInt("NAXIS1")!.Value, Height = (int)h.GetInt("NAXIS2")!.Value, ZpAuto = zp,
                SkySig = h.GetDouble("SKYSIG")!.Value, EGain = h.GetDouble("EGAIN")!.Value, Saturate = h.GetDouble("SATURATE"),
                Scale = Science.Imaging.FrameCalibration.ScaleFor(zp, ctx.Config.ImageScaling.ZpRef),
                PeeingPix = h.GetDouble("PEEING"), SeeingArcsec = h.GetDouble("SEEING"),
            });
        }
        int w = frames[0].Width, hh = frames[0].Height;
        new FramesManifest
        {
            ZpRef = ctx.Config.ImageScaling.ZpRef, FullWidth = w, FullHeight = hh,
            CropX0 = margin, CropX1 = w - margin, CropY0 = margin, CropY1 = hh - margin, Frames = frames,
        }.Write(ctx.Layout.FramesManifest);
        var t = SourceTableCsv.Read(Path.Combine(dir, "input_catalog.csv"));
        t.AddBool("excluded_any", new bool[t.RowCount]);
        SourceTableCsv.Write(t, ctx.Layout.FlaggedCatalog);
        new CatalogState { Catalog = Path.GetFullPath(ctx.Layout.FlaggedCatalog), WrittenBy = "LoadInputs" }.Write(ctx.Layout.CatalogStateFile);
    }
}
