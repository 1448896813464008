using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Numerics;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Rendering;

/// <summary>
/// The optimised render paths (reused buffers, region-restricted FFT rows and Lanczos passes,
/// SIMD butterflies, taps and exponentials) against the straightforward implementations they
/// replace. The FFT and Lanczos kernels must be bit-identical (exact equality); whole galaxy
/// renders differ only by the SIMD exponential (see <see cref="SimdExpPeakTolerance"/>).
/// </summary>
public class FastPathTests
{
    /// <summary>
    /// Galaxy renders vs the scalar oracle, relative to the patch's peak: <c>Vector.Exp</c> is
    /// within ~4e-16 relative of <c>Math.Exp</c> (measured), which can only flip the f32 rounding
    /// of an FFT output (one ulp, ≤ 6e-8 of the peak) and the Lanczos taps sum to ≤ 2 in
    /// absolute value: 2.5e-7 of the peak bounds it with margin, and is 400× below the golden
    /// tests' 1e-4.
    /// </summary>
    private const double SimdExpPeakTolerance = 2.5e-7;

    private static readonly PixelizedPsf Pix25 = Moffat25();
    private static PixelizedPsf Moffat25() => new(new MoffatPsf(4.0, 3.5, 12).Pixelized.Values, 25, 25);

    private static HybridPixelizedPsf Hybrid25() =>
        new(Pix25, new GaussianMixture([0.6, 0.4], [0.0, 0.0], [0.0, 0.0], [2.0, 6.0], [0.1, 0.0], [2.2, 6.5]));

    /// <summary>Seeded galaxy set-ups spanning sizes (sz 64 and 128), ellipticities, sub-pixel phases and image edges.</summary>
    public static IEnumerable<object[]> Cases()
    {
        var rng = new Random(7);
        for (int i = 0; i < 24; i++)
        {
            double re = i % 6 == 5 ? 8.0 + 10 * rng.NextDouble() : 0.8 + 4 * rng.NextDouble();
            double x = i % 4 == 3 ? 2.0 + 3 * rng.NextDouble() : 10 + 100 * rng.NextDouble();
            double y = i % 5 == 4 ? 117 + 3 * rng.NextDouble() : 10 + 100 * rng.NextDouble();
            if (i % 7 == 0) { x = Math.Round(x); y = Math.Round(y); } // zero sub-pixel shift
            yield return new object[] { i, i % 3 == 0 ? "dev" : i % 3 == 1 ? "exp" : "sersic2.3", re, 0.3 + 0.7 * rng.NextDouble(), 180 * rng.NextDouble(), x, y };
        }
    }

    private static ProfileMixture Profile(string name) => name switch
    {
        "dev" => ProfileMixture.Dev,
        "exp" => ProfileMixture.Exp,
        _ => SersicMixture.Get(2.3),
    };

    private static void AssertSame(ImagePatch? want, ImagePatch? got)
    {
        if (want is null) { Assert.Null(got); return; }
        Assert.NotNull(got);
        Assert.Equal((want.X0, want.Y0, want.W, want.H), (got!.X0, got.Y0, got.W, got.H));
        double peak = 0;
        for (int i = 0; i < want.W * want.H; i++) peak = Math.Max(peak, Math.Abs(want.Values[i]));
        Assert.True(peak > 0);
        for (int i = 0; i < want.W * want.H; i++)
            Assert.True(Math.Abs(want.Values[i] - got.Values[i]) <= SimdExpPeakTolerance * peak,
                $"pixel {i}: {want.Values[i]:R} vs {got.Values[i]:R}, peak {peak:R}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Nominal_and_mask_renders_match_the_reference(int id, string prof, double re, double ab, double phi, double x, double y)
    {
        _ = id;
        var p = Profile(prof);
        var cov = EllipseESoft.FromRAbPhi(re, ab, phi).UnitPixelCovariance(Matrix2.Identity);
        double nre = prof == "exp" ? 4 : 8;
        foreach (IPsf psf in new IPsf[] { Pix25, Hybrid25() })
        {
            const int w = 120, h = 121;
            var want = ReferenceGalaxyRenderer.Render(p, cov, nre * re, x, y, w, h, psf);
            var got = GalaxyRenderer.Render(p, cov, nre * re, x, y, w, h, psf);
            AssertSame(want, got);
            if (want is null) continue;
            // The shape-derivative step renders on the nominal patch's extent (docs/fitting.md §16.6).
            var mask = new PixelBox(X0: want.X0, X1: want.X0 + want.W, Y0: want.Y0, Y1: want.Y0 + want.H);
            var cov2 = EllipseESoft.FromRAbPhi(re * 1.01, ab, phi).UnitPixelCovariance(Matrix2.Identity);
            AssertSame(ReferenceGalaxyRenderer.RenderOnMask(p, cov2, x, y, mask, psf), GalaxyRenderer.RenderOnMask(p, cov2, x, y, mask, psf));
            // A mask that cuts the FFT box on every side.
            var small = new PixelBox(X0: mask.X0 + 3, X1: mask.X1 - 4, Y0: mask.Y0 + 2, Y1: mask.Y1 - 1);
            AssertSame(ReferenceGalaxyRenderer.RenderOnMask(p, cov2, x, y, small, psf), GalaxyRenderer.RenderOnMask(p, cov2, x, y, small, psf));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(25, 25)]
    [InlineData(64, 64)]
    [InlineData(33, 70)]
    public void Region_lanczos_equals_the_full_shift_on_the_region(int w, int h)
    {
        var rng = new Random(w * 1000 + h);
        var img = new float[w * h];
        for (int i = 0; i < img.Length; i++) img[i] = (float)(rng.NextDouble() - 0.3);
        foreach (var (dx, dy) in new[] { (0.25, -0.3), (0.5, 0.5), (-0.5, 0.1), (0.0, 0.4) })
        {
            var full = ScalarShift(img, w, h, dx, dy);
            var dst = new float[w * h];
            Lanczos3.Shift(img, w, h, dx, dy, dst, new float[w * h]);
            for (int i = 0; i < dst.Length; i++) Assert.True(full[i] == dst[i], $"full {i}");
            int x0 = w / 3, x1 = Math.Max(x0 + 1, w - w / 4), y0 = h / 2, y1 = h;
            var part = new float[w * h];
            Array.Fill(part, float.NaN);
            Lanczos3.ShiftRegion(img, w, h, dx, dy, part, new float[w * h], x0, y0, x1, y1);
            for (int yy = 0; yy < h; yy++)
                for (int xx = 0; xx < w; xx++)
                {
                    bool inside = xx >= x0 && xx < x1 && yy >= y0 && yy < y1;
                    if (inside) Assert.True(full[yy * w + xx] == part[yy * w + xx], $"region ({xx}, {yy})");
                    else Assert.True(float.IsNaN(part[yy * w + xx]), "outside the region must stay untouched");
                }
        }
    }

    /// <summary>The Lanczos-3 shift exactly as first written: scalar, full image.</summary>
    private static float[] ScalarShift(float[] img, int w, int h, double dx, double dy)
    {
        Span<float> fx = stackalloc float[7], fy = stackalloc float[7];
        Lanczos3.Taps(dx, fx); Lanczos3.Taps(dy, fy);
        var t = new float[w * h]; var o = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float acc = 0f;
                for (int j = Math.Max(-3, -x); j <= Math.Min(3, w - 1 - x); j++) acc += fx[j + 3] * img[y * w + x + j];
                t[y * w + x] = acc;
            }
        for (int y = 0; y < h; y++)
            for (int j = Math.Max(-3, -y); j <= Math.Min(3, h - 1 - y); j++)
            {
                float f = fy[j + 3];
                if (f == 0f) continue;
                for (int x = 0; x < w; x++) o[y * w + x] += f * t[(y + j) * w + x];
            }
        return o;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(128)]
    public void Irfft2_rows_and_column_pass_match_per_column_transforms(int n)
    {
        int m = n / 2 + 1;
        var rng = new Random(n);
        var re = new double[n * m]; var im = new double[n * m];
        for (int i = 0; i < re.Length; i++) { re[i] = rng.NextDouble() - 0.5; im[i] = rng.NextDouble() - 0.5; }
        // Oracle: per-column Transform, then per-row-pair c2r, as first written.
        var ore = (double[])re.Clone(); var oim = (double[])im.Clone();
        var col = new double[n]; var coli = new double[n];
        for (int c = 0; c < m; c++)
        {
            for (int r = 0; r < n; r++) { col[r] = ore[r * m + c]; coli[r] = oim[r * m + c]; }
            Radix2Fft.Transform(col, coli, true);
            for (int r = 0; r < n; r++) { ore[r * m + c] = col[r]; oim[r * m + c] = coli[r]; }
        }
        var cre = (double[])re.Clone(); var cim = (double[])im.Clone();
        Radix2Fft.InverseColumns(cre, cim, n, m);
        for (int i = 0; i < cre.Length; i++) { Assert.True(ore[i] == cre[i]); Assert.True(oim[i] == cim[i]); }

        var full = new float[n * n];
        Radix2Fft.Irfft2((double[])re.Clone(), (double[])im.Clone(), n, full, new double[4 * n]);
        var part = new float[n * n];
        Array.Fill(part, float.NaN);
        int lo = n / 4 + 1, hi = Math.Min(n, lo + 3);
        Radix2Fft.Irfft2Rows((double[])re.Clone(), (double[])im.Clone(), n, part, new double[4 * n], lo, hi);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                if (r >= lo && r < hi) Assert.True(full[r * n + c] == part[r * n + c], $"row {r}");
                if (r < (lo & ~1) || r >= hi + 1) Assert.True(float.IsNaN(part[r * n + c]), $"row {r} outside the pairs must stay untouched");
            }
    }
}
