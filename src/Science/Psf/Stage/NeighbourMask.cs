using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// Catalogue sources near the PSF stars, in white-frame pixels, with the band's flux where
/// the catalogue gives one (NaN otherwise) and, when given, their catalogue IDs (for the
/// pictures' labels).
/// </summary>
public sealed record Neighbours(float[] X, float[] Y, float[] Flux, string[]? Ids = null)
{
    public static Neighbours None { get; } = new([], [], []);

    public int Count => X.Length;

    /// <summary>The ID of the catalogue source nearest (x, y) within <paramref name="radius"/> pixels, or null.</summary>
    public string? IdNear(double x, double y, double radius)
    {
        if (Ids is null) return null;
        int best = -1;
        double bestD2 = radius * radius;
        for (int k = 0; k < X.Length; k++)
        {
            double dx = X[k] - x, dy = Y[k] - y, d2 = dx * dx + dy * dy;
            if (d2 <= bestD2) { bestD2 = d2; best = k; }
        }
        return best < 0 || string.IsNullOrEmpty(Ids[best]) ? null : Ids[best];
    }
}

/// <summary>
/// Keeps other sources' light out of the ePSF star stamps (docs/algorithms.md, "PSF stars").
/// A star stamp of 55–61 px holds, in a typical field, several fainter sources; their light
/// went into the ePSF's wings, and the unit-sum normalisation handed it to every flux in the
/// cell. Every catalogue source in the stamp other than the star itself is masked (weight 0)
/// out to a radius that grows with its brightness; a star whose core a neighbour's mask
/// reaches is not a PSF star at all.
/// </summary>
public static class NeighbourMask
{
    /// <summary>Closer than this (in FWHM) to the star's centre, a catalogue source is the star itself.</summary>
    public const double SelfMatchFwhm = 0.6;

    /// <summary>A neighbour's mask may not reach within this radius (FWHM) of the star's centre.</summary>
    public const double CoreFwhm = 1.5;

    /// <summary>
    /// Mask radius of a neighbour, pixels: 1.5 FWHM for a source at the noise level, one FWHM
    /// more per decade of its peak S/N (≈ flux / (σ_sky · FWHM²)), at most 6 FWHM; 3 FWHM when
    /// its flux is unknown.
    /// </summary>
    public static double Radius(double flux, double fwhm, double sigmaSky)
    {
        if (!double.IsFinite(flux) || !(sigmaSky > 0)) return 3 * fwhm;
        double peakSnr = Math.Max(1, flux / (sigmaSky * fwhm * fwhm));
        return fwhm * Math.Clamp(1.5 + Math.Log10(peakSnr), 1.5, 6.0);
    }

    /// <summary>
    /// The stamp with its neighbours masked (a copy; the input is untouched), or null when a
    /// neighbour's mask reaches the star's core. <paramref name="originX"/>/<paramref name="originY"/>
    /// place the stamp's parent image in the white frame (the cell's corner).
    /// </summary>
    public static EpsfStar? Apply(EpsfStar star, Neighbours nb, int originX, int originY, double fwhm, double sigmaSky,
        out int masked)
    {
        masked = 0;
        if (nb.Count == 0 || !(fwhm > 0)) return star;
        double cx = originX + star.OriginX + star.CenterX, cy = originY + star.OriginY + star.CenterY;
        double reach = star.Size * 0.75 + 6 * fwhm;
        double[]? weights = null;
        double[]? iv = null;
        double core = CoreFwhm * fwhm, self = SelfMatchFwhm * fwhm;
        for (int n = 0; n < nb.Count; n++)
        {
            double dx = nb.X[n] - cx, dy = nb.Y[n] - cy;
            if (Math.Abs(dx) > reach || Math.Abs(dy) > reach) continue;
            double d = Math.Sqrt(dx * dx + dy * dy);
            if (d < self) continue;
            double r = Radius(nb.Flux[n], fwhm, sigmaSky);
            if (d - r < core) return null;
            weights ??= (double[])star.Weights.Clone();
            iv ??= star.StackInverseVariance is { } v ? (double[])v.Clone() : null;
            double lx = nb.X[n] - originX - star.OriginX, ly = nb.Y[n] - originY - star.OriginY;
            int i0 = Math.Max(0, (int)Math.Floor(lx - r)), i1 = Math.Min(star.Size - 1, (int)Math.Ceiling(lx + r));
            int j0 = Math.Max(0, (int)Math.Floor(ly - r)), j1 = Math.Min(star.Size - 1, (int)Math.Ceiling(ly + r));
            double r2 = r * r;
            for (int j = j0; j <= j1; j++)
                for (int i = i0; i <= i1; i++)
                {
                    double ex = i - lx, ey = j - ly;
                    if (ex * ex + ey * ey > r2) continue;
                    int k = j * star.Size + i;
                    if (weights[k] > 0) masked++;
                    weights[k] = 0;
                    if (iv is not null) iv[k] = 0;
                }
        }
        if (weights is null) return star;
        return new EpsfStar(star.Id, star.Size, (float[])star.Data.Clone(), weights, star.OriginX, star.OriginY,
            star.CenterX, star.CenterY) { StackInverseVariance = iv };
    }
}
