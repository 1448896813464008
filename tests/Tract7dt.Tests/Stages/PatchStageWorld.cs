using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.State;
using Tract7dt.Science.Simulation;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Tests.Stages;

/// <summary>
/// A simulated tiny input set (3 bands, 600×600 px, crop 30) shared by the patch-stage
/// tests, plus a fresh work dir per test with the LoadInputs state (frames.json and the
/// flagged catalog) written directly, so these tests do not depend on the LoadInputs stage.
/// </summary>
public sealed class PatchStageWorld : IDisposable
{
    public PatchStageWorld()
    {
        Root = Directory.CreateTempSubdirectory("t7d-patchstage").FullName;
        Simulator.Run(new SimulationOptions(Path.Join(Root, "sim"), SimulationPreset.Tiny));
    }

    public string Root { get; }

    public string SimDir => Path.Join(Root, "sim");

    public void Dispose()
    {
        // T7D_KEEP_TEST_DIRS=1 keeps the folder for looking at the outputs by hand.
        if (Environment.GetEnvironmentVariable("T7D_KEEP_TEST_DIRS") == "1") return;
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }

    /// <summary>
    /// A config over the simulated inputs with its own work dir; <paramref name="extraYaml"/>
    /// lines are appended (sections must not repeat the simulation's own sections).
    /// </summary>
    public StageContext NewContext(string name, string extraYaml = "", MemoryLogSink? sink = null, bool fresh = true)
    {
        string yaml = File.ReadAllText(Path.Join(SimDir, "config.yaml"))
            .Replace("work_dir: \"work\"", $"work_dir: \"work_{name}\"");
        yaml = Merge(yaml, extraYaml);
        string cfgPath = Path.Join(SimDir, $"config_{name}.yaml");
        File.WriteAllText(cfgPath, yaml);
        var (config, _) = ConfigLoader.Load(cfgPath);
        var ctx = new StageContext(config, sink ?? new MemoryLogSink(LogLevel.Info)) { CpuCount = 2 };
        if (!fresh) return ctx;
        if (Directory.Exists(ctx.Layout.WorkDir)) Directory.Delete(ctx.Layout.WorkDir, true);
        WriteLoadState(ctx);
        return ctx;
    }

    /// <summary>Appends <c>section.key: value</c> overrides by inserting them under existing sections or adding sections.</summary>
    private static string Merge(string yaml, string extra)
    {
        foreach (var raw in extra.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var (dotted, value) = (raw[..raw.IndexOf(':')].Trim(), raw[(raw.IndexOf(':') + 1)..].Trim());
            var section = dotted[..dotted.IndexOf('.')];
            var key = dotted[(dotted.IndexOf('.') + 1)..];
            var lines = yaml.Split('\n').ToList();
            int at = lines.FindIndex(l => l == section + ":");
            if (at < 0) { lines.Add(section + ":"); at = lines.Count - 1; }
            int existing = lines.FindIndex(at + 1, l => l.StartsWith("  " + key + ":", StringComparison.Ordinal));
            int next = lines.FindIndex(at + 1, l => l.Length > 0 && !l.StartsWith(' ') && !l.StartsWith('#'));
            if (existing > at && (next < 0 || existing < next)) lines[existing] = $"  {key}: {value}";
            else lines.Insert(at + 1, $"  {key}: {value}");
            yaml = string.Join('\n', lines);
        }
        return yaml;
    }

    /// <summary>What LoadInputs hands on: frames.json and catalog_flagged.csv (crop flags only).</summary>
    public static void WriteLoadState(StageContext ctx)
    {
        var cfg = ctx.Config;
        var images = File.ReadAllLines(cfg.Inputs.ImageListFile)
            .Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'))
            .Select(l => Path.GetFullPath(Path.Join(Path.GetDirectoryName(cfg.Inputs.ImageListFile), l.Trim()))).ToList();
        var frames = new List<FrameEntry>();
        int w = 0, h = 0;
        foreach (var path in images)
        {
            var hd = FitsFile.ReadPrimaryHeader(path);
            w = (int)hd.GetInt("NAXIS1")!;
            h = (int)hd.GetInt("NAXIS2")!;
            double zp = hd.GetDouble("ZP_AUTO")!.Value;
            frames.Add(new FrameEntry
            {
                Band = hd.GetString("FILTER")!.Trim(),
                Path = path,
                ContentHash = ContentHasher.HashStream(path),
                Width = w,
                Height = h,
                ZpAuto = zp,
                SkySig = hd.GetDouble("SKYSIG")!.Value,
                EGain = hd.GetDouble("EGAIN")!.Value,
                Saturate = hd.GetDouble("SATURATE"),
                Scale = FrameCalibration.ScaleFor(zp, cfg.ImageScaling.ZpRef),
                PeeingPix = hd.GetDouble("PEEING"),
                SeeingArcsec = hd.GetDouble("SEEING"),
            });
        }
        int m = cfg.Crop.Enabled ? cfg.Crop.Margin : 0;
        var manifest = new FramesManifest
        {
            ZpRef = cfg.ImageScaling.ZpRef,
            FullWidth = w,
            FullHeight = h,
            CropX0 = m,
            CropX1 = w - m,
            CropY0 = m,
            CropY1 = h - m,
            Frames = frames,
        };
        Directory.CreateDirectory(ctx.Layout.StateDir);
        manifest.Write(ctx.Layout.FramesManifest);

        var cat = SourceTableCsv.Read(cfg.Inputs.InputCatalog);
        var full = TanWcs.FromHeader(FitsFile.ReadPrimaryHeader(images[0]));
        var ra = cat.Numeric("RA");
        var dec = cat.Numeric("DEC");
        var crop = new bool[cat.RowCount];
        for (int i = 0; i < crop.Length; i++)
        {
            var (x, y) = full.SkyToPixel(ra[i], dec[i]);
            crop[i] = !(x >= m && x < w - m && y >= m && y < h - m);
        }
        cat.AddBool("excluded_crop", crop);
        cat.AddBool("excluded_saturation", new bool[cat.RowCount]);
        cat.AddBool("excluded_any", (bool[])crop.Clone());
        SourceTableCsv.Write(cat, ctx.Layout.FlaggedCatalog);
    }
}
