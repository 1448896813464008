using System.Text.RegularExpressions;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.State;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Tests.Stages;

/// <summary>
/// One tiny simulation (3 bands, 600×600, crop margin 30) shared by the BuildEpsf tests, and
/// work dirs prepared as LoadInputs would leave them: <c>state/frames.json</c> from the image
/// headers and <c>state/catalog_flagged.csv</c> = the input catalog plus the exclusion flags.
/// The stage is tested on its own, without the LoadInputs stage.
/// </summary>
public sealed class BuildEpsfFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "t7d_epsfstage_" + Guid.NewGuid().ToString("N"));

    public Scene Scene { get; }

    private int _work;

    public BuildEpsfFixture() => Scene = Simulator.Run(new SimulationOptions(Dir, SimulationPreset.Tiny, Sources: 250, Seed: 11));

    /// <summary>
    /// A fresh work dir with its own config: the simulator's config with <paramref name="overrides"/>
    /// (dotted <c>section.key</c> → YAML scalar text) applied, <c>plotting.dpi</c> 40 and
    /// <c>epsf.star_local_bkg_subtract</c> true (the default) unless given.
    /// </summary>
    public (StageContext Ctx, MemoryLogSink Log) NewWork(params (string Key, string Value)[] overrides)
    {
        string work = "work_" + Interlocked.Increment(ref _work);
        var all = new List<(string, string)> { ("outputs.work_dir", "\"" + work + "\"") };
        if (!overrides.Any(o => o.Key == "plotting.dpi")) all.Add(("plotting.dpi", "40"));
        // the stage's own default (the simulated config switches the per-star annulus off)
        if (!overrides.Any(o => o.Key == "epsf.star_local_bkg_subtract")) all.Add(("epsf.star_local_bkg_subtract", "true"));
        all.AddRange(overrides);
        string yaml = ApplyOverrides(File.ReadAllText(Path.Combine(Dir, "config.yaml")), all);
        string cfgPath = Path.Combine(Dir, work + ".yaml");
        File.WriteAllText(cfgPath, yaml);
        var (config, _) = ConfigLoader.Load(cfgPath);
        var log = new MemoryLogSink();
        var ctx = new StageContext(config, log) { CpuCount = 2 };
        WriteState(ctx);
        return (ctx, log);
    }

    /// <summary>Reloads the config of an existing work dir with more overrides (same work dir).</summary>
    public StageContext Reconfigure(StageContext ctx, MemoryLogSink log, params (string Key, string Value)[] overrides)
    {
        string yaml = ApplyOverrides(File.ReadAllText(ctx.Config.ConfigPath), overrides);
        File.WriteAllText(ctx.Config.ConfigPath, yaml);
        var (config, _) = ConfigLoader.Load(ctx.Config.ConfigPath);
        return new StageContext(config, log, hasher: ctx.Hasher) { CpuCount = 2 };
    }

    private static string ApplyOverrides(string yaml, IEnumerable<(string Key, string Value)> overrides)
    {
        foreach (var (key, value) in overrides)
        {
            string section = key[..key.IndexOf('.')], name = key[(key.IndexOf('.') + 1)..];
            var sectionRx = new Regex("^" + Regex.Escape(section) + ":\\n((?:  .*\\n)*)", RegexOptions.Multiline);
            var m = sectionRx.Match(yaml);
            if (!m.Success) { yaml += $"{section}:\n  {name}: {value}\n"; continue; }
            var lineRx = new Regex("^  " + Regex.Escape(name) + ":.*$", RegexOptions.Multiline);
            string body = m.Groups[1].Value;
            body = lineRx.IsMatch(body) ? lineRx.Replace(body, $"  {name}: {value}") : body + $"  {name}: {value}\n";
            yaml = yaml[..m.Groups[1].Index] + body + yaml[(m.Groups[1].Index + m.Groups[1].Length)..];
        }
        return yaml;
    }

    /// <summary>frames.json and catalog_flagged.csv as LoadInputs writes them (crop = the config's margin).</summary>
    private void WriteState(StageContext ctx)
    {
        Directory.CreateDirectory(ctx.Layout.StateDir);
        int margin = ctx.Config.Crop.Enabled ? ctx.Config.Crop.Margin : 0;
        var frames = new List<FrameEntry>();
        foreach (var line in File.ReadAllLines(Path.Combine(Dir, "image_list.txt")))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0) continue;
            string path = Path.GetFullPath(Path.Combine(Dir, line.Trim()));
            var h = FitsFile.ReadPrimaryHeader(path);
            double zp = h.GetDouble("ZP_AUTO")!.Value;
            frames.Add(new FrameEntry
            {
                Band = h.GetString("FILTER")!.Trim(), Path = path, ContentHash = ContentHasher.HashStream(path),
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
        WriteCatalog(ctx, _ => false);
    }

    /// <summary>Writes catalog_flagged.csv with <c>excluded_any</c> from <paramref name="excluded"/> (by row).</summary>
    public void WriteCatalog(StageContext ctx, Func<int, bool> excluded)
    {
        var t = SourceTableCsv.Read(Path.Combine(Dir, "input_catalog.csv"));
        var flags = Enumerable.Range(0, t.RowCount).Select(excluded).ToArray();
        t.AddBool("excluded_crop", new bool[t.RowCount]);
        t.AddBool("excluded_saturation", new bool[t.RowCount]);
        t.AddBool("excluded_any", flags);
        SourceTableCsv.Write(t, ctx.Layout.FlaggedCatalog);
        new CatalogState { Catalog = Path.GetFullPath(ctx.Layout.FlaggedCatalog), WrittenBy = "LoadInputs" }.Write(ctx.Layout.CatalogStateFile);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
