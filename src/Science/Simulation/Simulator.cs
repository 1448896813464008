using System.Globalization;
using System.Text;
using CsvHelper;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// Writes a complete, self-consistent pipeline input set with its truth:
/// <c>images/7DT_SIM_&lt;band&gt;.fits</c>, <c>image_list.txt</c>, <c>input_catalog.csv</c>,
/// <c>gaiaxp_synphot.csv</c>, <c>config.yaml</c>, <c>truth.csv</c>, <c>truth_zp.csv</c> and
/// <c>simulation.json</c> (the settings, from which the scorer rebuilds the true PSFs).
/// </summary>
/// <remarks>
/// Bands are rendered one at a time and each in row strips of <see cref="StripRows"/> rows,
/// so memory stays bounded for the full 7DT tile. Stamps are rendered in parallel but added
/// in source order, and each image row draws its noise from its own random stream, so the
/// bytes written do not depend on the number of threads or the strip height.
/// </remarks>
public static class Simulator
{
    /// <summary>Rows per rendering strip.</summary>
    public const int StripRows = 1024;
    /// <summary>Version of the simulation algorithm, written to every header (SIMVER).</summary>
    public const string Version = "sim-1";
    /// <summary>File-name prefix of the images.</summary>
    public const string ImagePrefix = "7DT_SIM";

    private const ulong StreamCatalog = 3, StreamBadPixels = 4, StreamNoise = 10;

    /// <summary>Generates the input set described by <paramref name="options"/>; returns the scene.</summary>
    public static Scene Run(SimulationOptions options, IProgress<string>? progress = null)
    {
        var settings = options.Resolve();
        var scene = SceneBuilder.Build(settings);
        string dir = Path.GetFullPath(settings.OutDir);
        try { Directory.CreateDirectory(Path.Combine(dir, "images")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new Tract7dtException(ErrorCodes.SimulationOutputFailed, $"Cannot create the output folder '{dir}': {e.Message}. Choose a writable --out folder.", e); }

        var catalog = CatalogWriter.Prepare(scene, SimRandom.ForStream(settings.Seed, StreamCatalog));
        progress?.Report($"scene: {scene.Sources.Count} sources ({scene.Sources.Count(s => s.IsStar)} stars), {scene.Bands.Length} bands, {settings.Width}x{settings.Height} px");
        for (int b = 0; b < scene.Bands.Length; b++)
        {
            RenderBand(scene, b, catalog, Path.Combine(dir, "images", $"{ImagePrefix}_{scene.Bands[b].Name}.fits"));
            progress?.Report($"band {scene.Bands[b].Name} written ({b + 1}/{scene.Bands.Length})");
        }
        File.WriteAllText(Path.Combine(dir, "image_list.txt"),
            "# Simulated 7DT tile (tract7dt simulate); paths relative to config.yaml\n" +
            string.Concat(scene.Bands.Select(x => $"images/{ImagePrefix}_{x.Name}.fits\n")));
        CatalogWriter.Write(scene, catalog, dir);
        ConfigWriter.Write(scene, Path.Combine(dir, "config.yaml"));
        EpsfTruthCheck.WriteSettings(options, settings, dir);
        progress?.Report($"done: {dir}");
        return scene;
    }

    /// <summary>The header of one band's image.</summary>
    internal static FitsHeader BandHeader(Scene scene, BandSetup band)
    {
        var h = new FitsHeader();
        scene.Wcs.WriteTo(h);
        h.Set("TELESCOP", "7DT", "simulated");
        h.Set("OBJECT", "SIM", "tract7dt simulate");
        h.Set("BUNIT", "ADU", "sky-subtracted counts");
        h.Set("FILTER", band.Name, "band name");
        h.Set("ZP_AUTO", band.ZpAuto, "AB zero point [mag] (has a calibration error)");
        h.Set("SKYSIG", Math.Round(band.SkySigma, 6), "sky sigma [ADU]");
        h.Set("EGAIN", band.Noise.Gain, "effective gain [e-/ADU]");
        h.Set("SATURATE", band.Saturate, "[ADU]");
        h.Set("PEEING", Math.Round(band.Fwhm0, 4), "PSF core FWHM at field centre [pix]");
        h.Set("SEEING", Math.Round(band.Fwhm0 * ResolvedSimulation.PixelScaleArcsec, 4), "PSF core FWHM at field centre [arcsec]");
        h.Set("SIMSEED", (long)scene.Settings.Seed, "simulation seed");
        h.Set("SIMVER", Version, "simulation algorithm version");
        return h;
    }

    private static void RenderBand(Scene scene, int b, CatalogWriter.Prepared catalog, string path)
    {
        var band = scene.Bands[b];
        int W = scene.Width, H = scene.Height;
        var s = scene.Settings;
        var sources = scene.Sources;

        // Stamp extents (rows) for strip selection.
        int n = sources.Count;
        var half = new int[n];
        for (int i = 0; i < n; i++) half[i] = sources[i].IsStar ? SourceRenderer.StarHalfSize : SourceRenderer.GalaxyHalfSize(sources[i].Profile);

        var bad = BadPixels(scene, b);
        var satPixels = new List<(int X, int Y)>();
        var cache = new Dictionary<int, Stamp>();
        var renderers = new ThreadLocal<SourceRenderer>(() => new SourceRenderer());
        double satLevel = band.Saturate, flagLevel = band.Saturate / 2;

        using var writer = FitsWriter.Create(path);
        writer.BeginImage(-32, W, H, BandHeader(scene, band));
        for (int r0 = 0; r0 < H; r0 += StripRows)
        {
            int rows = Math.Min(StripRows, H - r0);
            var strip = new float[(long)W * rows];
            var todo = new List<int>();
            for (int i = 0; i < n; i++)
            {
                int cy = (int)Math.Round(sources[i].Y);
                if (cy + half[i] < r0 || cy - half[i] >= r0 + rows) continue;
                if ((int)Math.Round(sources[i].X) + half[i] < 0 || (int)Math.Round(sources[i].X) - half[i] >= W) continue;
                todo.Add(i);
            }
            var stamps = new Stamp[todo.Count];
            Parallel.For(0, todo.Count, j =>
            {
                int i = todo[j];
                if (cache.TryGetValue(i, out var st)) { stamps[j] = st; return; }
                var src = sources[i];
                var psf = band.PsfAt(src.X, src.Y, W, H);
                stamps[j] = src.IsStar
                    ? renderers.Value!.RenderStar(psf, src.X, src.Y, src.Flux[b] * band.RawPerTrueFlux)
                    : renderers.Value!.RenderGalaxy(src.Profile, psf, src.X, src.Y, src.Flux[b] * band.RawPerTrueFlux);
            });
            cache.Clear();
            for (int j = 0; j < todo.Count; j++)           // fixed order: deterministic float sums
            {
                SourceRenderer.AddToStrip(stamps[j], strip, W, r0, rows);
                if (stamps[j].Y0 + stamps[j].Height > r0 + rows) cache[todo[j]] = stamps[j];
            }

            Parallel.For(0, rows, j =>
            {
                int y = r0 + j;
                var row = strip.AsSpan(j * W, W);
                var rng = SimRandom.ForStream(s.Seed, StreamNoise + (ulong)b, (ulong)y);
                band.Noise.Apply(row, ref rng);
                for (int x = 0; x < W; x++)
                {
                    float v = (float)(row[x] + band.SkyAt(x, y, W, H));
                    row[x] = v >= satLevel ? (float)satLevel : v;   // full well: flat-topped cores
                }
            });
            foreach (var (bx, by) in bad)
                if (by >= r0 && by < r0 + rows) strip[(by - r0) * W + bx] = float.NaN;
            for (int j = 0; j < rows; j++)
                for (int x = 0; x < W; x++)
                    if (strip[j * W + x] >= flagLevel) satPixels.Add((x, r0 + j));
            writer.WriteRows(strip);
        }
        writer.Commit();
        FlagSaturation(scene, catalog, satPixels);
    }

    /// <summary>
    /// Marks sources whose (catalogue) position, rounded half-to-even, has a saturated pixel of
    /// this band inside the crop box within the saturation-cut radius: the rule of the
    /// pipeline's LoadInputs (docs/inputs.md §5.5), so truth says which rows it must exclude.
    /// </summary>
    private static void FlagSaturation(Scene scene, CatalogWriter.Prepared catalog, List<(int X, int Y)> sat)
    {
        if (sat.Count == 0) return;
        int m = scene.Settings.CropMargin, W = scene.Width, H = scene.Height;
        double r = ResolvedSimulation.SaturationRadiusPix;
        var set = new HashSet<long>();
        foreach (var (x, y) in sat)
            if (x >= m && x < W - m && y >= m && y < H - m) set.Add((long)y * W + x);
        if (set.Count == 0) return;
        int ri = (int)Math.Ceiling(r);
        for (int i = 0; i < scene.Sources.Count; i++)
        {
            var src = scene.Sources[i];
            if (src.ExpectExcludedSaturation) continue;
            var (px, py) = catalog.PixelOf(i);
            int cx = (int)Math.Round(px, MidpointRounding.ToEven), cy = (int)Math.Round(py, MidpointRounding.ToEven);
            for (int dy = -ri; dy <= ri && !src.ExpectExcludedSaturation; dy++)
                for (int dx = -ri; dx <= ri; dx++)
                {
                    if (dx * dx + dy * dy > r * r) continue;
                    int x = cx + dx, y = cy + dy;
                    if (x < 0 || y < 0 || x >= W || y >= H) continue;
                    if (set.Contains((long)y * W + x)) { src.ExpectExcludedSaturation = true; break; }
                }
        }
    }

    /// <summary>Isolated NaN pixels (~1e-5 of the image) and one partly dead column per band.</summary>
    private static List<(int X, int Y)> BadPixels(Scene scene, int b)
    {
        var r = SimRandom.ForStream(scene.Settings.Seed, StreamBadPixels, (ulong)b);
        int W = scene.Width, H = scene.Height;
        var list = new List<(int, int)>();
        long count = Math.Max(3, (long)W * H / 100_000);
        for (long i = 0; i < count; i++) list.Add((r.NextInt(W), r.NextInt(H)));
        int col = r.NextInt(W), ya = r.NextInt(H / 2), yb = ya + H / 4 + r.NextInt(H / 2);
        for (int y = ya; y < Math.Min(yb, H); y++) list.Add((col, y));
        if (scene.Settings.Hard && b == 1)
        {
            // An 80×80 hole (a masked satellite trail or a dead amplifier corner) on a source.
            var src = scene.Sources[r.NextInt(scene.Sources.Count)];
            int x0 = Math.Clamp((int)src.X - 40, 0, W - 80), y0 = Math.Clamp((int)src.Y - 40, 0, H - 80);
            for (int y = y0; y < y0 + 80; y++)
                for (int x = x0; x < x0 + 80; x++) list.Add((x, y));
        }
        return list;
    }
}
