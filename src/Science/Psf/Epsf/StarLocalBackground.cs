using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Psf.Epsf;

/// <summary>Settings of the per-star annulus background (config <c>epsf.star_local_bkg_*</c>).</summary>
/// <param name="InnerRadius">Annulus inner radius, stamp pixels (<c>star_local_bkg_annulus_rin_pix</c>, 20).</param>
/// <param name="OuterRadius">Annulus outer radius, stamp pixels (<c>star_local_bkg_annulus_rout_pix</c>, 30).</param>
/// <param name="ClipSigma">Clip threshold in σ (<c>star_local_bkg_sigma</c>, 3).</param>
/// <param name="MinPixels">Minimum annulus pixels before and after clipping (<c>star_local_bkg_minpix</c>, 30).</param>
public sealed record LocalBackgroundOptions(
    double InnerRadius = 20.0, double OuterRadius = 30.0, double ClipSigma = 3.0, int MinPixels = 30);

/// <summary>What the annulus estimate did for one star (the per-star record of docs/epsf.md §6).</summary>
/// <param name="Id">Star label.</param>
/// <param name="Background">Subtracted level, image units (0 on fallback).</param>
/// <param name="AnnulusPixels">Usable annulus pixels before clipping.</param>
/// <param name="InnerRadius">Inner radius after clamping, stamp pixels.</param>
/// <param name="OuterRadius">Outer radius after clamping, stamp pixels.</param>
/// <param name="Status"><c>"ok"</c> or <c>"fallback_zero"</c>.</param>
public readonly record struct LocalBackgroundRecord(string Id, double Background, int AnnulusPixels,
    double InnerRadius, double OuterRadius, string Status);

/// <summary>
/// Per-star local background from a sigma-clipped annulus (docs/epsf.md §6 item 4).
/// </summary>
public static class StarLocalBackground
{
    /// <summary>Iterations of the annulus sigma clip (fixed by the pipeline).</summary>
    public const int ClipIterations = 5;

    /// <summary>
    /// Measures the median of the sigma-clipped annulus around the star's centre and
    /// returns the stamp with it subtracted, plus the record. Radii are clamped to the
    /// stamp: <c>r_out = clamp(R_out, 2, r_max)</c> with
    /// <c>r_max = max(2, (size−1)/2 − 1)</c>, and <c>r_in = clamp(R_in, 0, max(0, r_out − 1))</c>.
    /// Annulus pixels satisfy <c>r_in² ≤ d² ≤ r_out²</c> (float32 arithmetic, as the
    /// original) and are usable (finite data, weight &gt; 0). Fewer than MinPixels before or
    /// after clipping → background 0, status "fallback_zero".
    /// </summary>
    public static (EpsfStar Star, LocalBackgroundRecord Record) Subtract(EpsfStar star, LocalBackgroundOptions options)
    {
        int n = star.Size;
        double rMax = Math.Max(2.0, (n - 1) / 2.0 - 1.0);
        double rOut = Math.Clamp(options.OuterRadius, 2.0, rMax);
        double rIn = Math.Clamp(options.InnerRadius, 0.0, Math.Max(0.0, rOut - 1.0));
        float rIn2 = (float)rIn * (float)rIn, rOut2 = (float)rOut * (float)rOut;
        float cx = (float)star.CenterX, cy = (float)star.CenterY;

        var values = new double[n * n];
        int count = 0;
        for (int j = 0; j < n; j++)
        {
            float dy = j - cy;
            for (int i = 0; i < n; i++)
            {
                float dx = i - cx;
                float d2 = dx * dx + dy * dy;
                int k = j * n + i;
                if (d2 >= rIn2 && d2 <= rOut2 && star.IsUsable(k)) values[count++] = star.Data[k];
            }
        }

        double bkg = 0;
        string status = "fallback_zero";
        if (count >= options.MinPixels)
        {
            int kept = ClippedStats.SigmaClipInPlace(values.AsSpan(0, count), options.ClipSigma, ClipIterations);
            if (kept >= options.MinPixels)
            {
                bkg = ClippedStats.MedianInPlace(values.AsSpan(0, kept));
                status = "ok";
            }
        }
        var record = new LocalBackgroundRecord(star.Id, bkg, count, rIn, rOut, status);
        return (star.WithOffsetSubtracted(bkg), record);
    }
}
