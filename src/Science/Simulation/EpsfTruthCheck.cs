using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Psf.Stage;
using Tract7dt.Science.State;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// One ePSF cell's model (its <c>epsf.npy</c>, the model at the cell's centre) against the
/// simulator's true PSF at the same place.
/// </summary>
/// <param name="Cell">The cell's folder name, <c>r&lt;RR&gt;_c&lt;CC&gt;</c>.</param>
/// <param name="TrueFwhm">The true PSF's core FWHM at the cell's centre, pixels.</param>
/// <param name="FluxError">Flux a noiseless star centred on a pixel at the cell's centre gets
/// from a least-squares fit of the ePSF over the stamp, minus 1: the per-cell bias the model
/// alone gives every bright star there, free of the stars' noise.</param>
/// <param name="CoreLightError">The ePSF's light within 2 FWHM over the true PSF's, minus 1.</param>
/// <param name="WidthError">The ePSF's second moment within 2 FWHM over the true PSF's, minus 1
/// (positive: the model is broader than the truth).</param>
public sealed record EpsfCellTruth(string Cell, double TrueFwhm, double FluxError, double CoreLightError, double WidthError);

/// <summary>
/// Checks a run's ePSF cells against the simulator's true PSF (docs/algorithms.md, "Scoring against a simulation").
/// A star's fitted flux in a cell carries the noise of the few stars the cell is judged by
/// (0.5–2 % in the hard world); the model itself has none, so this separates what the
/// ePSF gets wrong at each cell from what the scoring stars' noise adds.
/// </summary>
public static class EpsfTruthCheck
{
    /// <summary>The file <c>tract7dt simulate</c> writes its settings to, beside the truth tables.</summary>
    public const string SettingsFile = "simulation.json";

    /// <summary>What <see cref="Simulator.Run"/> was asked for, enough to rebuild the scene's band PSFs.</summary>
    internal sealed record Settings(
        [property: JsonPropertyName("preset")] string Preset,
        [property: JsonPropertyName("seed")] ulong Seed,
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("sources")] int Sources,
        [property: JsonPropertyName("bands")] string[] Bands);

    internal static void WriteSettings(SimulationOptions o, ResolvedSimulation r, string dir) =>
        File.WriteAllText(Path.Combine(dir, SettingsFile),
            JsonSerializer.Serialize(new Settings(o.Preset.ToString().ToLowerInvariant(), r.Seed, r.Width, r.Height, r.Sources, r.Bands),
                new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>
    /// Every cell of every band in <paramref name="workDir"/>'s <c>EPSFs</c> against the true
    /// PSF of the simulation in <paramref name="truthDir"/>; null when either lacks what the
    /// check needs (a simulation from before <see cref="SettingsFile"/>, a run without ePSFs).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<EpsfCellTruth>>? Check(string truthDir, string workDir)
    {
        string settingsPath = Path.Combine(truthDir, SettingsFile), framesPath = Path.Combine(workDir, "state", "frames.json");
        string epsfDir = Path.Combine(workDir, "EPSFs");
        if (!File.Exists(settingsPath) || !File.Exists(framesPath) || !Directory.Exists(epsfDir)) return null;
        var set = JsonSerializer.Deserialize<Settings>(File.ReadAllText(settingsPath))
            ?? throw new Tract7dtException(ErrorCodes.ScoreTruthInvalid, $"{settingsPath} is empty; regenerate it with `tract7dt simulate`.");
        if (!Enum.TryParse<SimulationPreset>(set.Preset, ignoreCase: true, out var preset))
            throw new Tract7dtException(ErrorCodes.ScoreTruthInvalid, $"{settingsPath}: unknown preset '{set.Preset}'; regenerate it with `tract7dt simulate`.");
        var sim = new SimulationOptions(truthDir, preset, set.Bands, set.Width, set.Height, set.Sources, set.Seed).Resolve();
        var bands = SceneBuilder.BuildBands(sim);
        var frames = FramesManifest.Read(framesPath);
        var renderer = new SourceRenderer();
        var result = new SortedDictionary<string, IReadOnlyList<EpsfCellTruth>>(StringComparer.Ordinal);
        foreach (var band in bands)
        {
            string dir = Path.Combine(epsfDir, band.Name);
            if (!Directory.Exists(dir)) continue;
            var cells = new List<EpsfCellTruth>();
            foreach (string cell in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            {
                string npy = Path.Combine(cell, "epsf.npy");
                if (!File.Exists(npy) || EpsfCellMeta.ReadBox(Path.Combine(cell, "meta.json")) is not { } box) continue;
                // The pipeline evaluates a cell's model at 0.5·(x0 + x1) of its box in the cropped frame.
                double x = frames.CropX0 + 0.5 * (box.X0 + box.X1), y = frames.CropY0 + 0.5 * (box.Y0 + box.Y1);
                var psf = band.PsfAt(x, y, sim.Width, sim.Height);
                var epsf = Npy.ReadFloat(npy);
                cells.Add(Compare(Path.GetFileName(cell), psf, renderer.RenderStar(psf, SourceRenderer.StarHalfSize, SourceRenderer.StarHalfSize, 1.0),
                    epsf.Data, (int)epsf.Rows));
            }
            result[band.Name] = cells;
        }
        return result;
    }

    /// <summary>Compares a unit-sum ePSF (n × n, centred on its middle pixel) with a unit-flux true star stamp centred on its middle pixel.</summary>
    internal static EpsfCellTruth Compare(string cell, MoffatPsf psf, Stamp truth, float[] epsf, int n)
    {
        int hc = n / 2, ht = truth.Width / 2;
        double T(int dx, int dy)
        {
            int i = dx + ht, j = dy + ht;
            return i < 0 || j < 0 || i >= truth.Width || j >= truth.Height ? 0 : truth.Data[j * truth.Width + i];
        }
        double rCore = 2 * psf.Fwhm;
        double mt = 0, mm = 0, coreE = 0, coreT = 0, momE = 0, momT = 0;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                int dx = i - hc, dy = j - hc;
                double m = epsf[j * n + i], t = T(dx, dy), r2 = dx * dx + dy * dy;
                mt += m * t; mm += m * m;
                if (r2 <= rCore * rCore) { coreE += m; coreT += t; momE += m * r2; momT += t * r2; }
            }
        return new EpsfCellTruth(cell, psf.Fwhm, mt / mm - 1, coreE / coreT - 1, momE / coreE / (momT / coreT) - 1);
    }

    /// <summary>One line per band: the range of the cells' flux errors and which cells bound it.</summary>
    public static string ToText(IReadOnlyDictionary<string, IReadOnlyList<EpsfCellTruth>> check)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        foreach (var (band, cells) in check)
        {
            if (cells.Count == 0) continue;
            var lo = cells.MinBy(x => x.FluxError)!;
            var hi = cells.MaxBy(x => x.FluxError)!;
            sb.AppendLine(string.Format(c,
                "[{0}] ePSF vs the true PSF at each cell's centre ({1} cells, noiseless star): flux {2:+0.0000;-0.0000} ({3}) .. {4:+0.0000;-0.0000} ({5}); core light {6:+0.0000;-0.0000} .. {7:+0.0000;-0.0000}; width {8:+0.0000;-0.0000} .. {9:+0.0000;-0.0000}",
                band, cells.Count, lo.FluxError, lo.Cell, hi.FluxError, hi.Cell,
                cells.Min(x => x.CoreLightError), cells.Max(x => x.CoreLightError), cells.Min(x => x.WidthError), cells.Max(x => x.WidthError)));
        }
        return sb.ToString();
    }
}
