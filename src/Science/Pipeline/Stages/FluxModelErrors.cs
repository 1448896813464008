using System.Globalization;
using System.Text;
using Tract7dt.Science.Calibration;
using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// The PSF model's flux error per band, measured over the whole catalogue and added to every
/// flux error of the band (docs/algorithms.md, "Flux errors").
/// <para>
/// Each patch fit checks its point sources' PSF fluxes against aperture fluxes of the same
/// stars (<c>psf_ap_ratio_&lt;b&gt;</c>, with the σ of its logarithm from the pixels,
/// <c>psf_ap_lnsig_&lt;b&gt;</c>). The scatter of ln(ratio) beyond that noise
/// (<see cref="ExcessScatter"/>) is what the PSF model, the fitted positions and the
/// neighbours' models add to a star's flux error, whatever its cause: the model's error at the
/// star's place, a star whose PSF differs from its neighbours', a band misregistered. Measured
/// on every bright star of the band rather than on the ePSF's held-out PSF stars (10–37 of
/// them on the hard simulated world, where that estimate ranged from 0 to 1.8 % for a true
/// 0.7–1.3 %).
/// </para>
/// <para>With fewer than <see cref="MinStars"/> checked stars in a band, the catalogue's estimate
/// from its n stars is blended with the ePSF stage's held-out estimate (meta.json
/// <c>psf_field.flux_model_error</c>) as variances, the ePSF's counting as MinStars − n stars:
/// s² = (n s_cat² + (MinStars − n) s_epsf²) / MinStars. A hard switch at MinStars made one star more
/// or less change every error of the band (on a hard simulated world, 0.29 % with 20 stars and the
/// ePSF's 0.88 % with 19). Without an ePSF estimate the catalogue's stands alone from
/// <see cref="MinStarsAlone"/> stars on; below that, and with neither, there is no model term.</para>
/// </summary>
public static class FluxModelErrors
{
    /// <summary>Least number of checked stars for the catalogue's estimate.</summary>
    public const int MinStars = 20;

    /// <summary>Least number of checked stars for the catalogue's estimate alone, when the ePSF has none.</summary>
    public const int MinStarsAlone = 5;

    /// <summary>A check noisier than this (σ of ln ratio) tells little of a 1 % error and is left out.</summary>
    public const double MaxLnSigma = 0.005;

    /// <summary>File (in <c>outputs/</c>) recording each band's model error and where it came from.</summary>
    public const string FileName = "flux_model_error.csv";

    /// <summary>One band's model error.</summary>
    /// <param name="Stars">Checked stars the catalogue's estimate rests on (0 when it was not used).</param>
    /// <param name="PsfOverAperture">exp of the weighted mean ln ratio: the PSF fluxes' offset from the
    /// aperture fluxes (the aperture correction the model implies); NaN when not measured.</param>
    /// <param name="Source"><c>catalogue</c>, <c>blend</c> (fewer than <see cref="MinStars"/> checked stars,
    /// blended with the ePSF's), <c>epsf</c> (held-out PSF stars), <c>none</c>, or <c>off</c>
    /// (<c>patch_run.photon_noise_errors: false</c>: the original's sky-only errors).</param>
    public sealed record BandError(string Band, int Stars, double Error, double PsfOverAperture, string Source);

    /// <summary>The bands whose fluxes the table carries (<c>FLUX_&lt;b&gt;_fit</c>), in column order.</summary>
    public static IReadOnlyList<string> Bands(SourceTable table) =>
        table.ColumnNames.Where(c => c.StartsWith("FLUX_", StringComparison.Ordinal) && c.EndsWith("_fit", StringComparison.Ordinal))
            .Select(c => c["FLUX_".Length..^"_fit".Length]).Where(b => b.Length > 0).ToList();

    /// <summary>Measures each band's model error (<paramref name="epsfFallback"/>: the ePSF stage's, 0 or NaN when none).</summary>
    public static IReadOnlyList<BandError> Measure(SourceTable table, Func<string, double> epsfFallback)
    {
        var result = new List<BandError>();
        foreach (string b in Bands(table))
        {
            string rc = $"psf_ap_ratio_{b}", sc = $"psf_ap_lnsig_{b}";
            int n = 0;
            double center = double.NaN, excess = double.NaN;
            if (table.Contains(rc) && table.Contains(sc))
            {
                var ratio = table.Numeric(rc);
                var sig = table.Numeric(sc);
                var lr = new List<double>();
                var ls = new List<double>();
                for (int i = 0; i < ratio.Length; i++)
                    if (ratio[i] > 0 && double.IsFinite(ratio[i]) && sig[i] > 0 && sig[i] <= MaxLnSigma)
                    {
                        lr.Add(Math.Log(ratio[i]));
                        ls.Add(sig[i]);
                    }
                (n, center, excess) = ExcessScatter.Estimate(lr.ToArray(), ls.ToArray());
            }
            double e = epsfFallback(b);
            bool hasEpsf = double.IsFinite(e) && e > 0;
            bool hasCatalogue = n >= 2 && double.IsFinite(excess);
            double psfOverAp = n >= 2 ? Math.Exp(center) : double.NaN;
            if (hasCatalogue && (n >= MinStars || (!hasEpsf && n >= MinStarsAlone)))
                result.Add(new BandError(b, n, excess, psfOverAp, "catalogue"));
            else if (hasCatalogue && hasEpsf)
            {
                double blended = Math.Sqrt((n * excess * excess + (MinStars - n) * e * e) / MinStars);
                result.Add(new BandError(b, n, blended, psfOverAp, "blend"));
            }
            else
                result.Add(new BandError(b, 0, hasEpsf ? e : 0, psfOverAp, hasEpsf ? "epsf" : "none"));
        }
        return result;
    }

    /// <summary>Adds each band's model error in quadrature to <c>FLUXERR_&lt;b&gt;_fit</c> and <c>FLUXERR_&lt;b&gt;_cov</c>.</summary>
    public static void Apply(SourceTable table, IReadOnlyList<BandError> errors)
    {
        foreach (var e in errors)
        {
            if (!(e.Error > 0)) continue;
            var flux = table.Numeric($"FLUX_{e.Band}_fit");
            foreach (string col in new[] { $"FLUXERR_{e.Band}_fit", $"FLUXERR_{e.Band}_cov" })
            {
                if (!table.Contains(col)) continue;
                var err = table.Numeric(col);
                var updated = new double[err.Length];
                for (int i = 0; i < err.Length; i++)
                {
                    double m = e.Error * flux[i];
                    updated[i] = double.IsFinite(err[i]) && double.IsFinite(m) ? Math.Sqrt(err[i] * err[i] + m * m) : err[i];
                }
                table.Set(new DoubleColumn(col, updated));
            }
        }
    }

    /// <summary>Writes the per-band record (atomically).</summary>
    public static void Write(string path, IReadOnlyList<BandError> errors)
    {
        var sb = new StringBuilder("band,stars,flux_model_error,psf_over_aperture,source\n");
        foreach (var e in errors)
            sb.Append(CultureInfo.InvariantCulture,
                $"{e.Band},{e.Stars},{FloatText.Repr(e.Error)},{(double.IsFinite(e.PsfOverAperture) ? FloatText.Repr(e.PsfOverAperture) : "")},{e.Source}\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        IO.AtomicFile.WriteAllText(path, sb.ToString());
    }
}
