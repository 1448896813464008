namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// The initial model of a patch (docs/fitting.md §5): type mapping with the
/// <c>gal_model</c> fallback, fluxes from <c>FLUX_&lt;band&gt;</c> or the aperture sum,
/// the soft ellipse from ELL/THETA/Re and the Sérsic start.
/// </summary>
public static class SourceInitializer
{
    /// <summary>Model of a <c>TYPE</c> text (upper-cased, untrimmed; null = missing → fallback).</summary>
    public static SourceType KindOf(string? type, string galModel)
    {
        switch (type?.ToUpperInvariant())
        {
            case "STAR": return SourceType.Point;
            case "SERSIC": return SourceType.Sersic;
            case "DEV": return SourceType.Dev;
            case "EXP": return SourceType.Exp;
        }
        return galModel.ToLowerInvariant() switch
        {
            "star" => SourceType.Point,
            "sersic" => SourceType.Sersic,
            "dev" => SourceType.Dev,
            _ => SourceType.Exp,
        };
    }

    /// <summary>Stage-facing name of a kind (<c>stype_fit</c>).</summary>
    public static string Name(SourceType kind) => kind switch
    {
        SourceType.Point => "star",
        SourceType.Sersic => "sersic",
        SourceType.Dev => "dev",
        _ => "exp",
    };

    /// <summary>
    /// <c>EllipseESoft.fromRAbPhi(re, q, φ)</c>: (logre, ee1, ee2) from the effective radius
    /// [pix], axis ratio b/a and Tractor angle φ [deg], in the reference's operation order.
    /// </summary>
    public static (double LogRe, double Ee1, double Ee2) SoftEllipse(double re, double q, double phiDeg)
    {
        double ab = 1.0 / q;
        double e = (ab - 1) / (ab + 1);
        double eta = -Math.Log(1 - e);
        double ang = Math.PI / 180.0 * (-2 * phiDeg);
        return (Math.Log(re), eta * Math.Cos(ang), eta * Math.Sin(ang));
    }

    /// <summary>
    /// Builds the sources of one fit over <paramref name="images"/> (fluxes in that order).
    /// </summary>
    public static SourceInit[] Build(PatchCatalog cat, IReadOnlyList<PatchImage> images, PatchFitSettings s)
    {
        int n = cat.Count;
        var result = new SourceInit[n];
        var masks = new bool[images.Count][];
        for (int k = 0; k < images.Count; k++)
        {
            var img = images[k];
            var m = new bool[img.Data.Length];
            for (int i = 0; i < m.Length; i++)
                m[i] = !(float.IsFinite(img.Data[i]) && img.InverseError[i] > 0 && float.IsFinite(img.InverseError[i]));
            masks[k] = m;
        }
        for (int i = 0; i < n; i++)
        {
            var flux = new double[images.Count];
            for (int k = 0; k < images.Count; k++)
            {
                var img = images[k];
                double f = ApertureSum.SumCircle(img.Data, masks[k], img.Width, img.Height, cat.X[i], cat.Y[i], s.RAp);
                if (!double.IsFinite(f)) f = 0;
                if (cat.Flux is not null && cat.Flux.TryGetValue(img.Band, out var col))
                {
                    double v = (float)col[i];
                    if (double.IsFinite(v) && v > 0) f = v;
                }
                flux[k] = Math.Max(f, s.EpsFlux);
            }
            bool nuisance = cat.Nuisance is not null && cat.Nuisance[i];
            var kind = nuisance ? SourceType.Point
                : cat.Type is null ? KindOf(s.GalModel, s.GalModel) : KindOf(cat.Type[i] ?? "NAN", s.GalModel);
            double q = 0.8;
            if (cat.Ell is not null) q = Math.Clamp(1 - Finite(cat.Ell[i]), 0.1, 1.0);
            double phi = 0;
            if (cat.Theta is not null)
            {
                double th = Finite(cat.Theta[i]);
                phi = th >= 0 ? th - 90 : th + 90;
            }
            double re = s.ReFallbackPix;
            bool sizeMeasured = false;
            if (cat.Re is not null)
            {
                sizeMeasured = double.IsFinite(cat.Re[i]);
                re = sizeMeasured ? cat.Re[i] : s.ReFallbackPix;
                re = Math.Clamp(re, 0.3, 100);
            }
            var (logre, ee1, ee2) = kind == SourceType.Point ? (double.NaN, double.NaN, double.NaN) : SoftEllipse(re, q, phi);
            result[i] = new SourceInit(kind, cat.X[i], cat.Y[i], flux, logre, ee1, ee2,
                kind == SourceType.Sersic ? s.SersicNInit : double.NaN, FixedPosition: nuisance,
                SizeMeasured: sizeMeasured && kind != SourceType.Point);
        }
        return result;
    }

    /// <summary>NaN → 0, ±∞ → ±largest double (the reference's nan_to_num).</summary>
    private static double Finite(double v) =>
        double.IsNaN(v) ? 0 : double.IsPositiveInfinity(v) ? double.MaxValue : double.IsNegativeInfinity(v) ? double.MinValue : v;
}
