using Tract7dt.Science.Fits;
using Tract7dt.Science.Simulation;
using Tract7dt.Science.State;
using Xunit;

namespace Tract7dt.Tests.Simulation;

/// <summary>
/// The scorer's check of each ePSF cell against the simulator's true PSF: a model equal to
/// the truth scores zero; a broader or wing-heavy model scores what a least-squares fit of it
/// gives a noiseless star, computed here independently.
/// </summary>
public class EpsfTruthCheckTests
{
    private const int N = 55;
    private static readonly MoffatPsf Psf = new(3.0, 3.0, 0.03, 0.5, WingWeight: 0.12, WingScale: 5.0, WingBeta: 2.0);

    /// <summary>A unit-flux star of <paramref name="psf"/> centred on the middle pixel of an N×N stamp.</summary>
    private static float[] TrueStamp(MoffatPsf psf)
    {
        var t = new SourceRenderer().RenderStar(psf, SourceRenderer.StarHalfSize, SourceRenderer.StarHalfSize, 1.0);
        var a = new float[N * N];
        int off = N / 2 - t.Width / 2;
        for (int j = 0; j < t.Height; j++)
            for (int i = 0; i < t.Width; i++) a[(j + off) * N + i + off] = t.Data[j * t.Width + i];
        return a;
    }

    private static Stamp Truth(MoffatPsf psf) =>
        new SourceRenderer().RenderStar(psf, SourceRenderer.StarHalfSize, SourceRenderer.StarHalfSize, 1.0);

    [Fact]
    public void The_true_psf_as_the_ePSF_scores_zero()
    {
        var r = EpsfTruthCheck.Compare("r00_c00", Psf, Truth(Psf), TrueStamp(Psf), N);
        Assert.Equal(0.0, r.FluxError, 6);
        Assert.Equal(0.0, r.CoreLightError, 6);
        Assert.Equal(0.0, r.WidthError, 6);
        Assert.Equal(3.0, r.TrueFwhm, 12);
    }

    [Fact]
    public void A_model_with_light_moved_to_its_wings_gives_a_star_less_flux()
    {
        // 2 % of the light taken from every pixel in proportion and spread evenly over the
        // stamp's outer ring (r > 20): a fit driven by the core gives 1/0.98 less.
        var m = TrueStamp(Psf);
        int ring = 0;
        for (int j = 0; j < N; j++)
            for (int i = 0; i < N; i++)
                if ((i - 27) * (i - 27) + (j - 27) * (j - 27) > 400) ring++;
        for (int k = 0; k < m.Length; k++)
        {
            int i = k % N, j = k / N;
            m[k] = 0.98f * m[k] + ((i - 27) * (i - 27) + (j - 27) * (j - 27) > 400 ? 0.02f / ring : 0f);
        }
        var r = EpsfTruthCheck.Compare("c", Psf, Truth(Psf), m, N);
        Assert.InRange(r.CoreLightError, -0.0201, -0.0199);
        // least squares: Σmt/Σm² with the ring's share of both negligible next to the core's
        Assert.InRange(r.FluxError, 1 / 0.98 - 1 - 0.002, 1 / 0.98 - 1 + 0.0005);
        Assert.InRange(r.WidthError, -0.001, 0.001);
    }

    [Fact]
    public void A_broader_model_is_wider_and_gives_a_narrower_star_more_flux()
    {
        var broad = TrueStamp(Psf with { Fwhm = 3.09 });
        var r = EpsfTruthCheck.Compare("c", Psf, Truth(Psf), broad, N);
        Assert.True(r.WidthError > 0.03, $"width {r.WidthError}");
        // independent arithmetic: the fitted flux Σ m·t / Σ m² over the stamp
        var t = TrueStamp(Psf);
        double mt = 0, mm = 0;
        for (int k = 0; k < t.Length; k++) { mt += broad[k] * (double)t[k]; mm += broad[k] * (double)broad[k]; }
        Assert.Equal(mt / mm - 1, r.FluxError, 9);
        Assert.True(r.FluxError > 0.01, $"flux {r.FluxError}");
    }

    [Fact]
    public void A_run_is_checked_cell_by_cell_at_each_cells_centre_in_the_full_frame()
    {
        string dir = Path.Combine(Path.GetTempPath(), "t7d_truthcheck_" + Guid.NewGuid().ToString("N"));
        try
        {
            var opts = new SimulationOptions(dir, SimulationPreset.Hard, Width: 600, Height: 600, Sources: 20, Seed: 3);
            var sim = opts.Resolve();
            Directory.CreateDirectory(dir);
            string work = Path.Combine(dir, "work");
            Assert.Null(EpsfTruthCheck.Check(dir, work)); // nothing yet: no settings, no run
            EpsfTruthCheck.WriteSettings(opts, sim, dir);
            Directory.CreateDirectory(Path.Combine(work, "state"));
            new FramesManifest { ZpRef = 25, FullWidth = 600, FullHeight = 600, CropX0 = 50, CropX1 = 550, CropY0 = 40, CropY1 = 560, Frames = [] }
                .Write(Path.Combine(work, "state", "frames.json"));
            var bands = SceneBuilder.BuildBands(sim);
            // two cells of the first band: one holds the truth at its centre (cropped box
            // [0,250)×[0,260) → frame centre (175, 170)), the other the truth at the frame's
            // corner, which the hard world's ±15 % FWHM gradient makes a different PSF.
            var band = bands[0];
            void Cell(string name, int x0, int x1, int y0, int y1, MoffatPsf psf)
            {
                string c = Path.Combine(work, "EPSFs", band.Name, name);
                Directory.CreateDirectory(c);
                Npy.Write(Path.Combine(c, "epsf.npy"), TrueStamp(psf), N, N);
                File.WriteAllText(Path.Combine(c, "meta.json"),
                    $"{{\n  \"band\": \"{band.Name}\",\n  \"patch\": \"{name}\",\n  \"x0\": {x0},\n  \"x1\": {x1},\n  \"y0\": {y0},\n  \"y1\": {y1},\n  \"x\": NaN\n}}\n");
            }
            Cell("r00_c00", 0, 250, 0, 260, band.PsfAt(175, 170, 600, 600));
            Cell("r00_c01", 250, 500, 0, 260, band.PsfAt(0, 0, 600, 600));
            var check = EpsfTruthCheck.Check(dir, work);
            Assert.NotNull(check);
            var cells = check![band.Name];
            Assert.Equal(["r00_c00", "r00_c01"], cells.Select(c => c.Cell));
            Assert.Equal(0.0, cells[0].FluxError, 6);
            Assert.Equal(band.PsfAt(175, 170, 600, 600).Fwhm, cells[0].TrueFwhm, 12);
            Assert.True(Math.Abs(cells[1].FluxError) > 0.005, $"a PSF from elsewhere scored {cells[1].FluxError}");
            Assert.Contains("r00_c01", EpsfTruthCheck.ToText(check));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void The_simulator_writes_the_settings_the_check_rebuilds_its_psfs_from()
    {
        string dir = Path.Combine(Path.GetTempPath(), "t7d_simsettings_" + Guid.NewGuid().ToString("N"));
        try
        {
            var scene = Simulator.Run(new SimulationOptions(dir, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 10, Seed: 9));
            string json = File.ReadAllText(Path.Combine(dir, EpsfTruthCheck.SettingsFile));
            Assert.Contains("\"preset\": \"tiny\"", json);
            Assert.Contains("\"seed\": 9", json);
            var settings = System.Text.Json.JsonSerializer.Deserialize<EpsfTruthCheck.Settings>(json)!;
            var again = SceneBuilder.BuildBands(new SimulationOptions(dir, SimulationPreset.Tiny, settings.Bands, settings.Width, settings.Height, settings.Sources, settings.Seed).Resolve());
            for (int b = 0; b < scene.Bands.Length; b++)
                Assert.Equal(scene.Bands[b].PsfAt(30, 170, 200, 200), again[b].PsfAt(30, 170, 200, 200));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
