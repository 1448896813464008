using System.Globalization;
using CsvHelper;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// Decides what the observer "knows" about the scene (the input catalogue with its noisy
/// priors, the GaiaXP list) and writes it, with the truth, as CSV.
/// </summary>
internal static class CatalogWriter
{
    /// <summary>Per-source catalogue content, drawn once so that file writing has no randomness.</summary>
    internal sealed class Prepared
    {
        public required double[] CatX, CatY;                 // catalogue position, full-frame pixels
        public required string[] Type;                       // TYPE text as written
        public required double[][] Prior;                    // FLUX_<band> prior (NaN = blank)
        public required double[] Ell, Theta, Re;             // noisy shape priors (NaN = blank)
        public required double[][] GaiaMag;                  // mag_<band> for Gaia rows
        public required double[] GaiaG;
        public (double X, double Y) PixelOf(int i) => (CatX[i], CatY[i]);
    }

    /// <summary>Sky-only 1-σ flux error of a PSF/model fit in the pipeline's scaled system (approximate).</summary>
    internal static double ExpectedFluxError(Scene scene, TrueSource s, int b)
    {
        var band = scene.Bands[b];
        var psf = band.PsfAt(s.X, s.Y, scene.Width, scene.Height);
        double sig = psf.Fwhm / 2.3548;
        double area = 4 * Math.PI * sig * sig;                       // noise-equivalent area of a Gaussian PSF
        if (!s.IsStar) area += 4 * Math.PI * (s.Re * s.Re * (1 - s.Ell)) / 1.5;
        return band.SkySigma * band.PipelineScale * Math.Sqrt(area);
    }

    public static Prepared Prepare(Scene scene, SimRandom r)
    {
        var src = scene.Sources;
        int n = src.Count, nb = scene.Bands.Length;
        var p = new Prepared
        {
            CatX = new double[n], CatY = new double[n], Type = new string[n], Prior = new double[n][],
            Ell = new double[n], Theta = new double[n], Re = new double[n], GaiaMag = new double[n][], GaiaG = new double[n],
        };
        int mid = nb / 2;
        for (int i = 0; i < n; i++)
        {
            var s = src[i];
            // Detectable: S/N ≥ 5 in some band (a detection-image catalogue would contain it).
            double snr = 0;
            for (int b = 0; b < nb; b++)
                snr = Math.Max(snr, s.Flux[b] * scene.Bands[b].ExpectedFluxFactor / ExpectedFluxError(scene, s, b));
            s.InCatalog = snr >= 5;
            double magMid = ResolvedSimulation.ZpRef - 2.5 * Math.Log10(s.Flux[mid]);
            if (s.IsStar && magMid <= 18.5)
            {
                s.GaiaId = (3_800_000_000_000_000_000UL + r.NextUInt64() % 100_000_000_000_000_000UL).ToString(CultureInfo.InvariantCulture);
                if (r.NextDouble() < 0.3) s.InCatalog = false;     // Gaia-only: the pipeline must inject it
                p.GaiaMag[i] = new double[nb];
                for (int b = 0; b < nb; b++)
                    p.GaiaMag[i][b] = Math.Round(ResolvedSimulation.ZpRef - 2.5 * Math.Log10(s.Flux[b]) + 0.01 * r.NextGaussian(), 4);
                p.GaiaG[i] = Math.Round(magMid + 0.1 + 0.02 * r.NextGaussian(), 4);
            }
            // Catalogue position: truth + 0.15 px rms (a detection's centroid error); 0.3 px in the hard world.
            double posErr = scene.Settings.Hard ? 0.3 : 0.15;
            p.CatX[i] = s.X + posErr * r.NextGaussian();
            p.CatY[i] = s.Y + posErr * r.NextGaussian();
            double u = r.NextDouble();
            p.Type[i] = s.Kind switch
            {
                TrueKind.Star => u < 0.05 ? "" : "STAR",
                _ => u < 0.10 ? "GAL" : u < 0.15 ? "" : u < 0.18 ? "unknown" : s.Kind switch
                { TrueKind.Exp => "EXP", TrueKind.Dev => "DEV", _ => "SERSIC" },
            };
            p.Prior[i] = new double[nb];
            for (int b = 0; b < nb; b++)
            {
                double fe = s.Flux[b] * scene.Bands[b].ExpectedFluxFactor;
                double v = fe * (1 + 0.1 * r.NextGaussian()) + ExpectedFluxError(scene, s, b) * r.NextGaussian();
                p.Prior[i][b] = v > 0 && r.NextDouble() >= 0.03 ? v : double.NaN;
            }
            if (s.IsStar) { p.Ell[i] = p.Theta[i] = p.Re[i] = double.NaN; r.NextDouble(); r.NextDouble(); r.NextDouble(); }
            else
            {
                p.Ell[i] = Math.Clamp(s.Ell + 0.05 * r.NextGaussian(), 0, 0.95);
                double th = s.Theta + 5 * r.NextGaussian();
                p.Theta[i] = th >= 90 ? th - 180 : th < -90 ? th + 180 : th;
                p.Re[i] = s.Re * Math.Exp(0.1 * r.NextGaussian());
            }
            int m = scene.Settings.CropMargin;
            double x = s.InCatalog ? p.CatX[i] : s.X, y = s.InCatalog ? p.CatY[i] : s.Y;
            if (!s.InCatalog) { p.CatX[i] = s.X; p.CatY[i] = s.Y; }
            s.ExpectExcludedCrop = !(x >= m && x < scene.Width - m && y >= m && y < scene.Height - m);
        }
        return p;
    }

    private static string F(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static void WriteCsv(string path, IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows) =>
        IO.AtomicFile.WriteText(path, sw =>
        {
            using var csv = CsvWriter.Create(sw, null, leaveOpen: true);
            foreach (var h in header) csv.WriteField(h);
            csv.EndRecord();
            foreach (var row in rows)
            {
                foreach (var f in row) csv.WriteField(f);
                csv.EndRecord();
            }
        });

    public static void Write(Scene scene, Prepared p, string dir)
    {
        var src = scene.Sources;
        var bands = scene.Bands;
        var wcs = scene.Wcs;

        // Input catalogue.
        var catRows = new List<string[]>();
        for (int i = 0; i < src.Count; i++)
        {
            if (!src[i].InCatalog) continue;
            var (ra, dec) = wcs.PixelToSky(p.CatX[i], p.CatY[i]);
            var row = new List<string> { src[i].Id, F(ra), F(dec), p.Type[i] };
            row.AddRange(p.Prior[i].Select(F));
            row.Add(F(p.Ell[i])); row.Add(F(p.Theta[i])); row.Add(F(p.Re[i]));
            catRows.Add(row.ToArray());
        }
        WriteCsv(Path.Combine(dir, "input_catalog.csv"),
            new[] { "ID", "RA", "DEC", "TYPE" }.Concat(bands.Select(b => "FLUX_" + b.Name)).Concat(new[] { "ELL", "THETA", "Re" }), catRows);

        // GaiaXP synthetic photometry.
        var gaiaRows = new List<string[]>();
        for (int i = 0; i < src.Count; i++)
        {
            if (src[i].GaiaId.Length == 0) continue;
            var row = new List<string> { src[i].GaiaId, F(src[i].Ra), F(src[i].Dec), F(p.GaiaG[i]) };
            row.AddRange(p.GaiaMag[i].Select(F));
            gaiaRows.Add(row.ToArray());
        }
        WriteCsv(Path.Combine(dir, "gaiaxp_synphot.csv"),
            new[] { "source_id", "ra", "dec", "phot_g_mean_mag" }.Concat(bands.Select(b => "mag_" + b.Name)), gaiaRows);

        // Truth.
        var head = new List<string> { "ID", "in_catalog", "gaia_source_id", "TYPE", "RA", "DEC", "x", "y", "sersic_n", "Re", "ELL", "THETA", "blend", "expect_excluded_crop", "expect_excluded_saturation" };
        foreach (var b in bands) { head.Add("FLUX_" + b.Name); head.Add("FLUX_EXP_" + b.Name); head.Add("FLUXERR_EXP_" + b.Name); }
        var truthRows = new List<string[]>();
        for (int i = 0; i < src.Count; i++)
        {
            var s = src[i];
            var row = new List<string>
            {
                s.Id, B(s.InCatalog), s.GaiaId, s.Kind.ToString().ToUpperInvariant(), F(s.Ra), F(s.Dec), F(s.X), F(s.Y),
                F(s.SersicN), F(s.Re), F(s.Ell), F(s.Theta), B(s.Blend), B(s.ExpectExcludedCrop), B(s.ExpectExcludedSaturation),
            };
            for (int b = 0; b < bands.Length; b++)
            {
                row.Add(F(s.Flux[b]));
                row.Add(F(s.Flux[b] * bands[b].ExpectedFluxFactor));
                row.Add(F(ExpectedFluxError(scene, s, b)));
            }
            truthRows.Add(row.ToArray());
        }
        WriteCsv(Path.Combine(dir, "truth.csv"), head, truthRows);

        WriteCsv(Path.Combine(dir, "truth_zp.csv"),
            new[] { "band", "wavelength_nm", "ZP_true", "ZP_AUTO", "zp_offset", "zp_median_expected", "flux_factor", "SKYSIG", "EGAIN", "SATURATE", "PEEING" },
            bands.Select(b => new[]
            {
                b.Name, F(b.WavelengthNm), F(b.ZpTrue), F(b.ZpAuto), F(b.ZpOffset),
                F(ResolvedSimulation.ZpRef - b.ZpOffset), F(b.ExpectedFluxFactor), F(Math.Round(b.SkySigma, 6)), F(b.Noise.Gain), F(b.Saturate), F(Math.Round(b.Fwhm0, 4)),
            }));
    }

    private static string B(bool v) => v ? "True" : "False";
}
