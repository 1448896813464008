using System.Diagnostics;
using Tract7dt.Cli;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Simulation;
using Tract7dt.Science.Catalog;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.EndToEnd;

/// <summary>
/// The real image sets (SDSS frames in the tract7dt input format, with aperture truth) the
/// photometry is judged on. They live beside the project's repository in
/// <c>../shared/realdata/</c>, not in it; tests that need them are skipped with a message
/// when the folder is absent.
/// </summary>
public static class RealData
{
    /// <summary>The folder of the real sets, or null.</summary>
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tract7dt.sln")))
            {
                string p = Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "realdata"));
                return Directory.Exists(p) ? p : null;
            }
        return null;
    }

    public const string SkipReason = "../shared/realdata (the real SDSS sets with aperture truth) is not beside the repository";
}

/// <summary>A fact that runs a real set: skipped, with the reason, when the sets are absent.</summary>
public sealed class RealDataFactAttribute : FactAttribute
{
    public RealDataFactAttribute()
    {
        if (RealData.Root is null) Skip = RealData.SkipReason;
    }
}

/// <summary>Runs the pipeline through the CLI on a copy of an input set (config as it is).</summary>
internal static class WorldRun
{
    public static (string Dir, int Code, string Err) Run(string source, string dest)
    {
        Directory.CreateDirectory(dest);
        foreach (var f in Directory.EnumerateFiles(source))
        {
            string to = Path.Combine(dest, Path.GetFileName(f));
            File.Copy(f, to, true);
            File.SetAttributes(to, FileAttributes.Normal); // the shared sets are read-only
        }
        foreach (var d in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(dest, Path.GetRelativePath(source, d)));
        foreach (var f in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(dest, Path.GetRelativePath(source, f));
            if (!File.Exists(to)) File.Copy(f, to);
            File.SetAttributes(to, FileAttributes.Normal);
        }
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new CliApp().Run(["run", "--config", Path.Combine(dest, "config.yaml")], o, e);
        return (dest, code, e.ToString());
    }
}

/// <summary>Both real sets run once with the config they come with (the original's keys and defaults).</summary>
public sealed class RealSetsFixture : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("t7d-real");

    public RealSetsFixture()
    {
        if (RealData.Root is null) return;
        foreach (string set in new[] { "sdss_4510_gri", "sdss_8162_gri" })
        {
            var sw = Stopwatch.StartNew();
            var (dir, code, err) = WorldRun.Run(Path.Combine(RealData.Root, set), Path.Combine(_root.FullName, set));
            Runs[set] = (dir, code, err, sw.Elapsed.TotalSeconds);
        }
    }

    public Dictionary<string, (string Dir, int Code, string Err, double Seconds)> Runs { get; } = new();

    public RealSetReport Score(string set) =>
        RealSetScorer.Score(Path.Combine(RealData.Root!, set), Path.Combine(Runs[set].Dir, "work", "output_catalog.csv"));

    public void Dispose()
    {
        try { _root.Delete(true); }
        catch (IOException) { }
    }
}

/// <summary>
/// PSF fluxes on real images against their aperture truth (docs/algorithms.md; the README's
/// accuracy table). The bars are the clean bands' measured values with a margin; they fail
/// if per-cell normalisation errors (cells of one band apart by 5–8 % before the band model)
/// or the faint-star deficit come back. The r and i bands of sdss_8162 carry stars of two
/// shapes (README, known weak points) and are held to looser bars.
/// </summary>
public class RealSetTests(RealSetsFixture fx, ITestOutputHelper output) : IClassFixture<RealSetsFixture>
{
    private RealBandScore Band(string set, string band)
    {
        var r = fx.Runs[set];
        Assert.True(r.Code == 0, $"{set}: exit {r.Code}\n{r.Err[^Math.Min(3000, r.Err.Length)..]}");
        var report = fx.Score(set);
        output.WriteLine(report.ToText());
        return report.Bands.Single(b => b.Band == band);
    }

    private static RatioBin Bin(RealBandScore b, double low) => b.Bins.Single(x => x.SnrLow == low);

    [RealDataFact]
    public void Clean_band_bright_stars_match_the_aperture_truth_within_one_percent()
    {
        var g = Band("sdss_8162_gri", "g");
        var bright = Bin(g, 100);
        Assert.True(bright.N >= 20, $"only {bright.N} bright isolated stars");
        Assert.InRange(bright.MedianRatio, 0.99, 1.01);
        Assert.InRange(bright.RobustScatter, 0, 0.012);
    }

    [RealDataFact]
    public void Cells_of_one_band_agree_within_one_percent()
    {
        var g = Band("sdss_8162_gri", "g");
        Assert.True(g.CellMedians.Count >= 3, $"only {g.CellMedians.Count} cells with 2+ bright isolated stars");
        Assert.True(g.CellMax - g.CellMin < 0.02, $"per-cell medians {g.CellMin:F4} … {g.CellMax:F4}");
    }

    [RealDataFact]
    public void Faint_stars_are_not_low()
    {
        // S/N 20-100 against S/N > 100 of the same band: no flux-dependent deficit
        foreach (var (set, band) in new[] { ("sdss_8162_gri", "g"), ("sdss_4510_gri", "i") })
        {
            var b = Band(set, band);
            var faint = b.Bins.Where(x => x.SnrHigh <= 100).ToList();
            double bright = Bin(b, 100).MedianRatio;
            foreach (var f in faint.Where(x => x.N >= 5))
                Assert.True(Math.Abs(f.MedianRatio - bright) < 0.02,
                    $"{set} {band}: S/N {f.SnrLow}-{f.SnrHigh} median {f.MedianRatio:F4} against {bright:F4} at S/N > 100");
        }
    }

    [RealDataFact]
    public void Flux_errors_cover_the_scatter_in_every_band_of_the_crowded_field()
    {
        // r and i carry stars whose PSF is broader or narrower than their neighbours' (README):
        // the PSF-over-aperture checks of the catalogue see it, and the errors with it. With the
        // ePSF's held-out model error alone, i's pull std was 2.1.
        foreach (string band in new[] { "g", "r", "i" })
            Assert.InRange(Band("sdss_8162_gri", band).PullStd, 0.8, 1.45);
    }

    [RealDataFact]
    public void Sparse_field_bands_are_within_two_percent()
    {
        // 4–10 PSF stars per cell; the truth's own aperture correction scatters by 0.3–3.5 %
        foreach (string band in new[] { "r", "i" })
            Assert.InRange(Bin(Band("sdss_4510_gri", band), 100).MedianRatio, 0.975, 1.025);
    }
}

/// <summary>The hard simulated world (<see cref="SimulationPreset.Hard"/>), run once with its config as written.</summary>
public class HardWorldFixture : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("t7d-hard");

    public HardWorldFixture() : this(11) { }

    protected HardWorldFixture(ulong seed)
    {
        string sim = Path.Combine(_root.FullName, "sim");
        Simulator.Run(new SimulationOptions(sim, SimulationPreset.Hard, Seed: seed));
        (Dir, Code, Err) = WorldRun.Run(sim, Path.Combine(_root.FullName, "run"));
        Report = Code == 0 ? Scorer.Score(Dir, Path.Combine(Dir, "work", "output_catalog.csv")) : null;
    }

    public string Dir { get; }
    public int Code { get; }
    public string Err { get; }
    public ScoreReport? Report { get; }

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        try { _root.Delete(true); }
        catch (IOException) { }
    }

    /// <summary>The most negative share of its light any per-patch ePSF of the run carries, and which.</summary>
    public (double Share, string Path) MostNegativeEpsf()
    {
        var worst = (0.0, "");
        foreach (string f in Directory.EnumerateFiles(Path.Combine(Dir, "work", "EPSFs"), "epsf_pr*.npy", SearchOption.AllDirectories))
        {
            var a = Npy.ReadFloat(f).Data;
            double sum = 0, neg = 0;
            foreach (float v in a) { sum += v; if (v < 0) neg += v; }
            if (neg / sum < worst.Item1) worst = (neg / sum, f);
        }
        return worst;
    }
}

/// <summary>A second hard world (seed 12): bottom-row cells with one or two PSF stars of their own.</summary>
public sealed class HardWorld12Fixture() : HardWorldFixture(12);

/// <summary>
/// The second hard world. Its cells with one or two PSF stars of their own once got an ePSF a
/// third negative from those stars' noise, and their stars came out 14 % faint.
/// </summary>
public class HardWorld12Tests(HardWorld12Fixture fx, ITestOutputHelper output) : IClassFixture<HardWorld12Fixture>
{
    [Fact]
    public void Cells_with_few_stars_of_their_own_keep_a_sound_ePSF()
    {
        Assert.True(fx.Code == 0, $"exit {fx.Code}\n{fx.Err[^Math.Min(3000, fx.Err.Length)..]}");
        output.WriteLine(fx.Report!.ToText());
        var (share, path) = fx.MostNegativeEpsf();
        Assert.True(share > -0.12, $"{path}: {share:P1} of its light negative");
        foreach (var b in fx.Report.Bands)
        {
            var q = b.Isolated!;
            Assert.True(q.CellBiasMin > -HardBars.FewStarCellBias && q.CellBiasMax < HardBars.FewStarCellBias,
                $"{b.Band}: per-cell bias {q.CellBiasMin:+0.0000;-0.0000} … {q.CellBiasMax:+0.0000;-0.0000}");
        }
    }

    /// <summary>
    /// The galaxies (docs/fitting.md §6, the size and position bounds and the hold). Faint galaxies that
    /// swelled into the sky or walked onto a neighbour came out thousands of times their expected error off
    /// (RunPatches/15: 22 galaxy × band fluxes beyond 300σ in this world, the worst 19,408σ; /17: none, the
    /// worst 155σ; /18, with the unmodelled-light mask: the worst 80σ).
    /// </summary>
    [Fact]
    public void No_galaxy_flux_runs_off_by_hundreds_of_sigma()
    {
        Assert.True(fx.Code == 0, $"exit {fx.Code}\n{fx.Err[^Math.Min(3000, fx.Err.Length)..]}");
        var truth = SourceTableCsv.Read(Path.Combine(fx.Dir, "truth.csv"));
        var cat = SourceTableCsv.Read(Path.Combine(fx.Dir, "work", "output_catalog.csv"));
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < truth.RowCount; i++) rowOf[truth.Text("ID", i)] = i;
        var off = new List<(double Sigma, string Id, string Band)>();
        foreach (string band in new[] { "m400", "m550", "m700" })
        {
            var fit = cat.Numeric($"FLUX_{band}_fit");
            var trueFlux = truth.Numeric($"FLUX_EXP_{band}");
            var trueErr = truth.Numeric($"FLUXERR_EXP_{band}");
            for (int i = 0; i < cat.RowCount; i++)
            {
                if (!rowOf.TryGetValue(cat.Text("ID", i), out int t) || truth.Text("TYPE", t) == "STAR") continue;
                if (!double.IsFinite(fit[i]) || !(trueErr[t] > 0)) continue;
                off.Add((Math.Abs(fit[i] - trueFlux[t]) / trueErr[t], cat.Text("ID", i), band));
            }
        }
        Assert.True(off.Count > 500, $"only {off.Count} galaxy fluxes scored");
        var worst = off.OrderByDescending(o => o.Sigma).Take(5).ToList();
        output.WriteLine($"{off.Count} galaxy fluxes; worst: " + string.Join(", ", worst.Select(w => $"{w.Id} {w.Band} {w.Sigma:F0}σ")));
        Assert.True(worst[0].Sigma < 300, $"{off.Count(o => o.Sigma >= 300)} galaxy fluxes 300σ or more off, the worst {worst[0].Id} {worst[0].Band} at {worst[0].Sigma:F0}σ");
    }

    /// <summary>
    /// Every patch's fitted sky sits on the level of its pixels away from the sources (docs/fitting.md §4.1).
    /// This world has unlisted saturated stars: with every pixel weighing (RunPatches/17) 25 of its 243
    /// patch × band skies stood more than 0.5σ per pixel above that level (up to 5.5σ), and every source of
    /// those patches came out low; with the unmodelled-light mask none does.
    /// </summary>
    [Fact]
    public void Every_patch_sky_sits_on_the_level_of_its_source_free_pixels()
    {
        Assert.True(fx.Code == 0, $"exit {fx.Code}\n{fx.Err[^Math.Min(3000, fx.Err.Length)..]}");
        string work = Path.Combine(fx.Dir, "work");
        var offsets = new List<(double Sigma, string Where)>();
        foreach (string dir in Directory.GetDirectories(Path.Combine(work, "outputs")).Order(StringComparer.Ordinal))
        {
            string modelPath = Science.Patches.PatchModelImages.PathIn(dir);
            if (!File.Exists(modelPath)) continue;
            string tag = Path.GetFileName(dir);
            var payload = Science.Patches.PatchPayload.Read(Science.Patches.PatchPayload.FitsPath(Path.Combine(work, "patch_payloads"), tag));
            var models = Science.Patches.PatchModelImages.Read(modelPath);
            var skies = Science.Patches.PatchModelImages.ReadSky(modelPath);
            foreach (var band in payload.Bands)
            {
                float[] model = models[band.Band];
                double sky = skies[band.Band];
                var level = new List<double>();
                double sigma = double.NaN;
                for (int i = 0; i < model.Length; i++)
                {
                    float s = band.SigmaSky[i];
                    if (band.Bad[i] != 0 || !float.IsFinite(band.Image[i]) || !(s > 0)) continue;
                    sigma = s;
                    if (model[i] - sky < 0.1 * s) level.Add(band.Image[i] - (model[i] - sky)); // away from every source
                }
                if (level.Count < 1000) continue;
                level.Sort();
                offsets.Add(((sky - level[level.Count / 2]) / sigma, $"{tag} {band.Band}"));
            }
        }
        Assert.True(offsets.Count > 200, $"only {offsets.Count} patch skies checked");
        var worst = offsets.OrderByDescending(o => Math.Abs(o.Sigma)).Take(5).ToList();
        output.WriteLine($"{offsets.Count} patch × band skies; farthest from their source-free level: " +
            string.Join(", ", worst.Select(w => $"{w.Where} {w.Sigma:+0.00;-0.00}σ")));
        Assert.True(Math.Abs(worst[0].Sigma) < 0.5,
            $"{offsets.Count(o => Math.Abs(o.Sigma) >= 0.5)} patch skies 0.5σ or more off their source-free level, the worst {worst[0].Where} at {worst[0].Sigma:+0.00;-0.00}σ");
    }
}

/// <summary>
/// The hard world: few PSF stars per cell, neighbours, halos, an undersampled band,
/// catalogue positions off by 0.3 px, a NaN hole; the original's ePSF settings.
/// </summary>
public class HardWorldTests(HardWorldFixture fx, ITestOutputHelper output) : IClassFixture<HardWorldFixture>
{
    private IReadOnlyList<BandScore> Bands()
    {
        Assert.True(fx.Code == 0, $"exit {fx.Code}\n{fx.Err[^Math.Min(3000, fx.Err.Length)..]}");
        output.WriteLine(fx.Report!.ToText());
        return fx.Report.Bands;
    }

    [Fact]
    public void Bright_isolated_stars_are_unbiased_in_every_band()
    {
        foreach (var b in Bands())
            Assert.True(Math.Abs(b.Isolated!.BrightBias) < HardBars.BrightBias, $"{b.Band}: bias {b.Isolated.BrightBias:+0.0000;-0.0000} (n={b.Isolated.NBright})");
    }

    [Fact]
    public void Faint_isolated_stars_are_unbiased_in_every_band()
    {
        foreach (var b in Bands())
            Assert.True(Math.Abs(b.Isolated!.FaintBias) < HardBars.FaintBias, $"{b.Band}: S/N 10-50 bias {b.Isolated.FaintBias:+0.0000;-0.0000} (n={b.Isolated.NFaint})");
    }

    [Fact]
    public void Every_ePSF_cell_gives_the_same_star_fluxes()
    {
        foreach (var b in Bands())
        {
            var q = b.Isolated!;
            Assert.True(q.NCells >= 4, $"{b.Band}: only {q.NCells} cells with 2+ bright isolated stars");
            Assert.True(q.CellBiasMin > -HardBars.CellBias && q.CellBiasMax < HardBars.CellBias,
                $"{b.Band}: per-cell bias {q.CellBiasMin:+0.0000;-0.0000} … {q.CellBiasMax:+0.0000;-0.0000}");
        }
    }

    [Fact]
    public void Every_ePSF_cell_gives_a_noiseless_star_its_true_flux()
    {
        Bands();
        var cells = fx.Report!.EpsfCells;
        Assert.NotNull(cells);
        var all = cells!.Values.SelectMany(c => c).ToList();
        Assert.Equal(27, all.Count); // 3 bands × 3×3 cells
        output.WriteLine(EpsfTruthCheck.ToText(cells));
        foreach (var c in all)
            Assert.True(Math.Abs(c.FluxError) < HardBars.CellModelError, $"{c.Cell} (FWHM {c.TrueFwhm:F2}): {c.FluxError:+0.0000;-0.0000}");
        double rms = Math.Sqrt(all.Average(c => c.FluxError * c.FluxError));
        Assert.True(rms < HardBars.CellModelRms, $"rms over the cells {rms:F4}");
    }

    [Fact]
    public void Galaxies_of_the_right_type_are_within_five_percent()
    {
        foreach (var b in Bands())
            Assert.True(b.Isolated!.NGalaxies >= 10 && Math.Abs(b.Isolated.GalaxyBias) < HardBars.GalaxyBias,
                $"{b.Band}: galaxies S/N > 10 bias {b.Isolated.GalaxyBias:+0.0000;-0.0000} (n={b.Isolated.NGalaxies})");
    }

    [Fact]
    public void Flux_errors_of_isolated_stars_are_honest()
    {
        foreach (var b in Bands())
            Assert.InRange(b.Isolated!.PullStd, HardBars.PullStdMin, HardBars.PullStdMax);
    }

    [Fact]
    public void No_ePSF_carries_much_negative_light()
    {
        Bands();
        var (share, path) = fx.MostNegativeEpsf();
        Assert.True(share > -0.12, $"{path}: {share:P1} of its light negative");
    }

    [Fact]
    public void Zero_points_are_recovered()
    {
        foreach (var b in Bands())
            Assert.True(Math.Abs(b.ZpError) < HardBars.ZpError, $"{b.Band}: ZP error {b.ZpError:+0.0000;-0.0000}");
    }
}

/// <summary>
/// The hard world's bars (seed 11). Where this round meets the photometry issue's targets the
/// bar is the target; where it does not, the bar is the measured value with a margin, far
/// inside what the original's algorithm choices give on the same world (README, accuracy
/// table), so that the per-cell normalisation error or the faint-star deficit cannot come back.
/// </summary>
internal static class HardBars
{
    /// <summary>Target 0.5 %; measured +0.10 / +0.35 / −0.16 % (original's choices: −2.9 / +0.7 / +2.6 %).
    /// Seed 12 (not barred here): +0.74 / +0.37 / +0.55 %.</summary>
    public const double BrightBias = 0.0075;

    /// <summary>Target 2 %, not met in m400 / m550: −6.1 ± 2.7 % over 11 stars, +4.3 ± 2.3 % over 14; +1.0 % in
    /// m700 over 25 stars (original's choices: −14.9 / +2.5 / +0.3 %). Pooled over seeds 11–14: −2.8 ± 1.4 / +0.6 ± 1.2
    /// / +0.4 ± 1.2 %.</summary>
    public const double FaintBias = 0.10;

    /// <summary>Target ±1 %, not met: per-cell medians −1.5…+1.5, −0.8…+1.0, −1.0…+1.4 % with a PSF per
    /// star (−4.0…+2.2, −1.2…+1.0, −1.9…+1.2 % with one PSF per patch, which this bar fails; original's
    /// choices: −26.8…+2.8, −2.9…+20.3, −1.1…+51.6 %).</summary>
    public const double CellBias = 0.03;

    /// <summary>Target ±1 % for the model itself (<see cref="EpsfTruthCheck"/>: the cell's ePSF fitted to a noiseless
    /// true star at its centre), not met: −0.9…+0.9 / −0.3…+1.0 / −1.5…+0.4 % (rms 0.58 %) with the field fitted in
    /// passes; −0.7…+1.4 / −0.4…+1.1 / −1.7…+1.2 % (rms 0.69 %) in one pass, which the rms bar fails.</summary>
    public const double CellModelError = 0.02;

    /// <inheritdoc cref="CellModelError"/>
    public const double CellModelRms = 0.0064;

    /// <summary>Seed 12's bar for its cells, some with one or two stars of their own: −1.3…+1.6, −2.8…+1.2,
    /// −0.0…+2.4 % measured; without the cell-correction taper one came out 14 % faint.</summary>
    public const double FewStarCellBias = 0.05;

    /// <summary>The target, 3 %: −0.9 / −1.2 / −0.2 % with the size and index priors (RunPatches/15; before them
    /// −0.8 / −1.2 / −0.6 %, and −1.0 / −2.6 / −1.9 % before the simulator drew steep galaxies finely; original's
    /// choices: −15.4 / −12.7 / −12.2 %).</summary>
    public const double GalaxyBias = 0.03;

    /// <summary>Target 1.0–1.3: measured 1.04 / 1.19 / 0.97 with the model error measured over the catalogue
    /// and the check's aperture sky from an annulus (seeds 12–14: 1.06–1.42); 0.80 / 1.02 / 0.85 with the ePSF's held-out model error alone, which this bar
    /// fails (seeds 11–14: 0.69–1.89); 12–20 with the original's sky-only error.</summary>
    public const double PullStdMin = 0.95;

    /// <inheritdoc cref="PullStdMin"/>
    public const double PullStdMax = 1.4;

    /// <summary>Target 0.01 mag; measured −0.000 / +0.007 / −0.001 (original's choices: −0.036 / +0.001 / +0.025);
    /// seed 12: +0.010 / +0.004 / +0.010.</summary>
    public const double ZpError = 0.01;
}
