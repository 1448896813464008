using System.Collections.Concurrent;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>A PSF that differs from place to place within a patch: each source is drawn with the PSF at its own place.</summary>
public interface IPositionDependentPsf : IPsf
{
    /// <summary>The PSF at patch pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    IPsf At(double x, double y);
}

/// <summary>
/// The band PSF model sampled on a 3×3 grid of places over a patch (its corners, edge
/// midpoints and centre), interpolated to each source's place (docs/algorithms.md, "A PSF
/// per source").
/// <para>
/// The band model varies over the field as a polynomial of degree ≤ 2 in position, so a
/// quadratic (Lagrange) interpolation through three nodes per axis reproduces its core to
/// the accuracy of the model. With one stamp per patch, a star 70 px from the patch centre
/// was fitted with the PSF of the centre and came out 1–1.5 % off where the PSF's width
/// changed by a few per cent over the field; the error had the sign of the offset, so it
/// survived into per-cell and per-patch statistics.
/// </para>
/// <para>
/// Places are snapped to a lattice of <see cref="LatticeSteps"/> steps per half-patch, and
/// each lattice place's PSF is built once: a patch of many sources builds at most
/// (2·<see cref="LatticeSteps"/>·1.5 + 1)² = 169 stamps per band, and sources at one place share
/// one PSF object (and its cached transforms). The stamps share one sub-pixel shift method.
/// Only point sources are given their place's PSF (see PatchModelFactories): a galaxy's
/// Fourier convolution caches the PSF's transform at every FFT size it meets, which per
/// galaxy would cost megabytes each, and the per-cell flux scale the grid fixes is a stars'
/// matter; galaxies keep the patch centre's PSF (<see cref="Stamp"/>).
/// </para>
/// </summary>
public sealed class PatchPsfGrid : IPositionDependentPsf
{
    /// <summary>Lattice steps per half-patch: places are interpolated to 1/4 of the half-size
    /// (~20 px on the original's default patches; a star is at most ~10 px from its place,
    /// where a PSF changing by 2 % of flux per 100 px moves its flux by ≤ 0.2 %).</summary>
    public const int LatticeSteps = 4;

    /// <summary>How far beyond the patch's base box (in half-sizes) the quadratic is followed;
    /// halo sources farther out take the model at this distance.</summary>
    public const double MaxExtrapolation = 1.5;

    private readonly float[][] _stamps; // 9, row-major nodes (y outer), each Width×Height
    private readonly double _cx, _cy, _hx, _hy;
    private readonly SubpixelShift _shift;
    private readonly PixelizedPsf _centre;
    private readonly ConcurrentDictionary<(int, int), PixelizedPsf> _at = new();

    /// <param name="stamps">Nine unit-sum stamps at nodes (x_i, y_j), i, j ∈ {−1, 0, +1} half-sizes from
    /// the centre, row-major with y outer (stamps[4] is the centre).</param>
    /// <param name="width">Stamp width (odd).</param>
    /// <param name="height">Stamp height (odd).</param>
    /// <param name="centreX">Patch pixel x of the grid's centre.</param>
    /// <param name="centreY">Patch pixel y of the grid's centre.</param>
    /// <param name="halfWidth">Distance from the centre to the x nodes [px], &gt; 0.</param>
    /// <param name="halfHeight">Distance from the centre to the y nodes [px], &gt; 0.</param>
    /// <param name="oversampling">Samples per image pixel of the stamps (an ePSF built oversampled):
    /// each place's PSF is then <see cref="PixelizedPsf.FromOversampled"/>, its point sources moved
    /// on the oversampled table; 1: the stamps are image-pixel PSFs.</param>
    public PatchPsfGrid(IReadOnlyList<float[]> stamps, int width, int height, double centreX, double centreY,
                        double halfWidth, double halfHeight, SubpixelShift shift, int oversampling = 1)
    {
        if (stamps.Count != 9 || stamps.Any(s => s.Length != width * height))
            throw new Tract7dtException(ErrorCodes.EpsfUnreadable,
                $"A patch PSF grid needs 9 stamps of {width}×{height}; got {stamps.Count}.");
        if (!(halfWidth > 0) || !(halfHeight > 0))
            throw new ArgumentOutOfRangeException(nameof(halfWidth), "the grid's half-sizes must be > 0");
        _stamps = stamps.Select(s => s.ToArray()).ToArray();
        _tableWidth = width; _tableHeight = height;
        _oversampling = Math.Max(1, oversampling);
        _cx = centreX; _cy = centreY; _hx = halfWidth; _hy = halfHeight;
        _shift = shift;
        _centre = Psf(_stamps[4], null);
        Width = _centre.Width; Height = _centre.Height;
    }

    private readonly int _tableWidth, _tableHeight, _oversampling;

    private PixelizedPsf Psf(float[] table, PixelizedPsf? near) => _oversampling == 1
        ? PixelizedPsf.ForFit(table, _tableWidth, _tableHeight, _shift, near)
        : PixelizedPsf.FromOversampled(table, _tableWidth, _tableHeight, _oversampling, _shift);

    /// <summary>Width of the image-pixel PSFs it gives.</summary>
    public int Width { get; }
    /// <summary>Their height.</summary>
    public int Height { get; }

    /// <inheritdoc/>
    public IPsf At(double x, double y)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return _centre;
        int iu = Snap((x - _cx) / _hx), iv = Snap((y - _cy) / _hy);
        if (iu == 0 && iv == 0) return _centre;
        return _at.GetOrAdd((iu, iv), k => Build(k.Item1 / (double)LatticeSteps, k.Item2 / (double)LatticeSteps));
    }

    private static int Snap(double u) =>
        (int)Math.Round(Math.Clamp(u, -MaxExtrapolation, MaxExtrapolation) * LatticeSteps, MidpointRounding.ToEven);

    /// <summary>The stamp at (u, v) half-sizes from the centre: Σ L_i(u) L_j(v) S_ij. The weights sum to 1,
    /// so unit-sum nodes give a unit-sum stamp.</summary>
    private PixelizedPsf Build(double u, double v)
    {
        Span<double> wu = stackalloc double[3], wv = stackalloc double[3];
        Lagrange(u, wu);
        Lagrange(v, wv);
        var acc = new double[_tableWidth * _tableHeight];
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 3; i++)
            {
                double w = wv[j] * wu[i];
                if (w == 0) continue;
                var s = _stamps[j * 3 + i];
                for (int k = 0; k < acc.Length; k++) acc[k] += w * s[k];
            }
        var f = new float[acc.Length];
        for (int k = 0; k < f.Length; k++) f[k] = (float)acc[k];
        return Psf(f, _centre);
    }

    /// <summary>Quadratic Lagrange weights of nodes −1, 0, +1 at <paramref name="u"/>.</summary>
    internal static void Lagrange(double u, Span<double> w)
    {
        w[0] = 0.5 * u * (u - 1);
        w[1] = 1 - u * u;
        w[2] = 0.5 * u * (u + 1);
    }

    // Drawn as a whole (culling radius, a renderer without per-source PSFs) it is the centre's PSF:
    // a source's PSF is chosen once, at its catalogue place (FitImage.SourcePsfs), so that it does
    // not jump between lattice places while the fit moves the source.
    public double Radius => _centre.Radius;
    public ImagePatch? RenderPoint(double px, double py, int width, int height) => _centre.RenderPoint(px, py, width, height);
    public GalaxyConvolution GalaxyPath => GalaxyConvolution.Fourier;
    public GaussianMixture? GalaxyMixture => null;
    public PixelizedPsf? Stamp => _centre;
    public bool IsHybrid => false;
}
