using System.Numerics;
using System.Runtime.InteropServices;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Numerics;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Science.Fitting.Rendering;

/// <summary>
/// Renders unit-flux galaxy patches (a circular profile mixture sheared into pixel space and
/// convolved with the PSF) by the reference's rules (docs/fitting.md §16.3–§16.6).
/// </summary>
public static class GalaxyRenderer
{
    /// <summary>
    /// Box half-size h (docs/fitting.md §16.3): max(1, R) capped at the distance to the farthest image edge + 1,
    /// raised to the PSF radius, then ceil. <paramref name="radiusPix"/> = nre·re/pixscale [px].
    /// </summary>
    public static int HalfSize(double radiusPix, double px, double py, int width, int height, double psfRadius)
    {
        double h = Math.Max(1.0, radiusPix);
        double far = Math.Max(Math.Max(px, width - 1 - px), Math.Max(py, height - 1 - py));
        h = Math.Min(h, far + 1);
        h = Math.Max(h, psfRadius);
        double c = Math.Ceiling(h);
        return c > 1 << 20 ? 1 << 20 : (int)c;
    }

    /// <summary>The clipped box for half-size h (docs/fitting.md §16.3), or null if it misses the image.</summary>
    public static PixelBox? Box(double px, double py, int h, int width, int height)
    {
        double xlo = Math.Floor(px - h), xhi = Math.Ceiling(px + h + 1);
        double ylo = Math.Floor(py - h), yhi = Math.Ceiling(py + h + 1);
        if (!(xlo <= width - 1 && xhi >= 0 && ylo <= height - 1 && yhi >= 0)) return null;
        return new PixelBox(X0: (int)Math.Max(xlo, 0), X1: (int)Math.Min(xhi, width - 1) + 1,
                            Y0: (int)Math.Max(ylo, 0), Y1: (int)Math.Min(yhi, height - 1) + 1);
    }

    /// <summary>
    /// Nominal unit-flux patch of a galaxy (docs/fitting.md §16.3–§16.5), or null if nothing is drawn.
    /// </summary>
    /// <param name="profile">Unit-r_e profile mixture.</param>
    /// <param name="unitCov">Pixel covariance per unit profile variance (T Tᵀ, docs/fitting.md §14.4).</param>
    /// <param name="radiusPix">nre·re/pixscale [px] (box size rule).</param>
    public static ImagePatch? Render(ProfileMixture profile, Cov2 unitCov, double radiusPix, double px, double py,
                                     int width, int height, IPsf psf)
    {
        int h = HalfSize(radiusPix, px, py, width, height, psf.Radius);
        var box = Box(px, py, h, width, height);
        if (box is null) return null;
        return psf.GalaxyPath == GalaxyConvolution.Analytic
            ? RenderAnalytic(profile, unitCov, px, py, box.Value, RequireMixture(psf))
            : RenderFourier(profile, unitCov, px, py, h, box.Value, psf);
    }

    /// <summary>
    /// The model-mask variant (docs/fitting.md §16.6), used for shape-derivative steps: the patch is rendered on
    /// exactly <paramref name="mask"/>. For analytic PSFs it equals the nominal evaluation on
    /// that box.
    /// </summary>
    public static ImagePatch? RenderOnMask(ProfileMixture profile, Cov2 unitCov, double px, double py, PixelBox mask, IPsf psf)
    {
        if (mask.Width <= 0 || mask.Height <= 0) return null;
        if (psf.GalaxyPath == GalaxyConvolution.Analytic)
            return RenderAnalytic(profile, unitCov, px, py, mask, RequireMixture(psf));
        var stamp = psf.Stamp!;
        int x0 = mask.X0, y0 = mask.Y0, x1 = mask.X1, y1 = mask.Y1, mw = mask.Width, mh = mask.Height;
        bool sourceOut = px < x0 || px > x1 - 1 || py < y0 || py > y1 - 1;
        if (sourceOut)
        {
            if (psf.IsHybrid && psf.GalaxyMixture is not null)
                return RenderAnalytic(profile, unitCov, px, py, mask, psf.GalaxyMixture);
            // The reference raises here ("sourceOut, not hybrid"); we render the nominal
            // Fourier patch and cut it to the mask instead (README fix #4: no crash).
            return CutTo(RenderFourier(profile, unitCov, px, py, (int)Math.Ceiling(Math.Max(mw, mh) / 2.0 + 1), mask, psf), mask);
        }
        double hp = Math.Max(Math.Max(mh / 2.0, mw / 2.0),
                    Math.Max(Math.Max(Math.Max(1 + px - x0, 1 + x1 - px), Math.Max(1 + py - y0, 1 + y1 - py)),
                             Math.Max(stamp.Width / 2.0, stamp.Height / 2.0)));
        int sz = FftSize((int)Math.Ceiling(hp));
        var ft = stamp.Fourier(sz);
        double mux = px - ft.Cx - x0, muy = py - ft.Cy - y0;
        double sx = Math.Round(mux), sy = Math.Round(muy);
        mux -= sx; muy -= sy;
        int isx = (int)sx, isy = (int)sy;
        // out[r][c] = G[r − sy][c − sx]: only this part of G is ever read.
        int gx0 = Math.Max(0, -isx), gx1 = Math.Min(sz, mw - isx);
        int gy0 = Math.Max(0, -isy), gy1 = Math.Min(sz, mh - isy);
        var ws = RenderWorkspace.Current;
        bool mog = ComputeFourier(profile, unitCov, ft, psf.IsHybrid, stamp.Shift, mux, muy, ws, gx0, gy0, gx1, gy1);
        var outv = new float[mw * mh];
        if (gx1 > gx0 && gy1 > gy0)
        {
            var g = ws.G;
            for (int gr = gy0; gr < gy1; gr++)
                g.AsSpan(gr * sz + gx0, gx1 - gx0).CopyTo(outv.AsSpan((gr + isy) * mw + gx0 + isx, gx1 - gx0));
        }
        var patch = new ImagePatch(x0, y0, mw, mh, outv);
        if (mog) AddMixture(patch, ws, profile, unitCov, px, py, psf.GalaxyMixture!);
        return patch;
    }

    /// <summary>Smallest power of two ≥ 2h (docs/fitting.md §15.4: 2^ceil(log2(2h))).</summary>
    public static int FftSize(int h) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, 2 * h));

    private static GaussianMixture RequireMixture(IPsf psf) =>
        psf.GalaxyMixture ?? throw new Tract7dtException(ErrorCodes.PsfNoMixtureForGalaxy,
            $"The PSF {psf} has no Gaussian mixture, so galaxies cannot be drawn with it (its EM fit failed); use a pixelized or Gaussian-mixture PSF for this band.");

    internal static ImagePatch RenderAnalytic(ProfileMixture profile, Cov2 unitCov, double px, double py, PixelBox box, GaussianMixture psfMix)
    {
        int k = profile.Count;
        Span<Cov2> cov = k <= 16 ? stackalloc Cov2[k] : new Cov2[k];
        for (int i = 0; i < k; i++) cov[i] = profile.Variances[i] * unitCov;
        var conv = psfMix.ConvolveWith(profile.Amplitudes, cov, px, py);
        return MixturePatch.Evaluate(conv, box.X0, box.Y0, box.Width, box.Height, 0, 0)!;
    }

    private static ImagePatch? RenderFourier(ProfileMixture profile, Cov2 unitCov, double px, double py, int h, PixelBox box, IPsf psf)
    {
        var stamp = psf.Stamp!;
        int sz = FftSize(h);
        var ft = stamp.Fourier(sz);
        double dx = px - ft.Cx, dy = py - ft.Cy;
        double ix0 = Math.Round(dx), iy0 = Math.Round(dy);
        int ox = (int)Math.Max(ix0, box.X0), oy = (int)Math.Max(iy0, box.Y0);
        int ex = (int)Math.Min(ix0 + sz, box.X1), ey = (int)Math.Min(iy0 + sz, box.Y1);
        if (ex <= ox || ey <= oy) return null;
        int w = ex - ox, hh = ey - oy;
        // G is placed at (ix0, iy0) and cropped to the box: only G[oy−iy0 ..][ox−ix0 ..] is read.
        int gx0 = ox - (int)ix0, gy0 = oy - (int)iy0;
        var ws = RenderWorkspace.Current;
        bool mog = ComputeFourier(profile, unitCov, ft, psf.IsHybrid, stamp.Shift, dx - ix0, dy - iy0, ws, gx0, gy0, gx0 + w, gy0 + hh);
        var v = new float[w * hh];
        var g = ws.G;
        for (int r = 0; r < hh; r++)
            g.AsSpan((gy0 + r) * sz + gx0, w).CopyTo(v.AsSpan(r * w, w));
        var patch = new ImagePatch(ox, oy, w, hh, v);
        if (mog) AddMixture(patch, ws, profile, unitCov, px, py, psf.GalaxyMixture!);
        return patch;
    }

    /// <summary>
    /// Steps 4–5 of docs/fitting.md §16.5: hybrid split, analytic FT of the FFT set times the stamp's DFT,
    /// inverse real FFT, f32, Lanczos shift by (mux, muy). The sz×sz result goes to
    /// <c>ws.G</c>, valid (and bit-identical to the full computation) on the columns
    /// [gx0, gx1) of the rows [gy0, gy1), the only part the callers read; the MoG set's
    /// amplitudes go to <c>ws.MogAmp</c>. Returns true if the MoG set is non-empty.
    /// </summary>
    private static bool ComputeFourier(ProfileMixture profile, Cov2 unitCov, StampTransform ft, bool hybrid, SubpixelShift shift,
                                       double mux, double muy, RenderWorkspace ws, int gx0, int gy0, int gx1, int gy1)
    {
        int k = profile.Count, sz = ft.Size, m = sz / 2 + 1;
        ws.Ensure(sz, k);
        var fftAmp = ws.FftAmp.AsSpan(0, k);
        var mogAmp = ws.MogAmp.AsSpan(0, k);
        fftAmp.Clear(); mogAmp.Clear();
        bool anyMog = false;
        if (!hybrid) profile.Amplitudes.AsSpan().CopyTo(fftAmp);
        else
        {
            double rf = sz / 2.0;
            bool ramp = false;
            Span<bool> im = stackalloc bool[k]; Span<bool> iff = stackalloc bool[k];
            for (int i = 0; i < k; i++)
            {
                double t = profile.Variances[i] * unitCov.Trace;
                im[i] = rf * rf < 16 * t; iff[i] = rf * rf > 9 * t;
                ramp |= im[i] && iff[i];
            }
            for (int i = 0; i < k; i++)
            {
                double a = profile.Amplitudes[i];
                double ns = rf / Math.Max(1e-6, Math.Sqrt(profile.Variances[i] * unitCov.Trace));
                if (im[i])
                {
                    anyMog = true;
                    mogAmp[i] = ramp ? a * Math.Min(1.0, 4.0 - ns) : a;
                }
                if (iff[i]) fftAmp[i] = ramp ? a * Math.Min(1.0, ns - 3.0) : a;
            }
        }
        bool anyFft = false;
        for (int i = 0; i < k; i++) anyFft |= fftAmp[i] != 0;
        var g = ws.G.AsSpan(0, sz * sz);
        if (!anyFft) { g.Clear(); return anyMog; }
        if (gx1 <= gx0 || gy1 <= gy0) return anyMog;

        var re = ws.Re.AsSpan(0, sz * m);
        var imv = ws.Im.AsSpan(0, sz * m);
        FourierGrid(profile, unitCov, fftAmp, sz, ft, ws, re, imv);
        if ((mux != 0 || muy != 0) && shift == SubpixelShift.Fourier)
        {
            // the sub-pixel remainder as a phase ramp on the product (the stamp's own mode)
            PixelizedPsf.ApplyPhaseRamp(sz, mux, muy, re, imv, ws.ColumnTerms(3 * sz + 2));
            Radix2Fft.Irfft2Rows(re, imv, sz, g, ws.Work, gy0, gy1);
        }
        else if (mux != 0 || muy != 0)
        {
            // The Lanczos y-pass reads three rows beyond the region on each side.
            var tmp = ws.Tmp.AsSpan(0, sz * sz);
            Radix2Fft.Irfft2Rows(re, imv, sz, tmp, ws.Work, gy0 - 3, gy1 + 3);
            Lanczos3.ShiftRegion(tmp, sz, sz, mux, muy, g, ws.Scratch, gx0, gy0, gx1, gy1);
        }
        else Radix2Fft.Irfft2Rows(re, imv, sz, g, ws.Work, gy0, gy1);
        return anyMog;
    }

    /// <summary>
    /// re + i·im = F · P̂ on the half spectrum, F[r][c] = Σ_k a'_k exp(−2π²(C_xx v² + 2 C_xy v w
    /// + C_yy w²)), C = v_k · unitCov (docs/fitting.md §16.5 step 5), components summed in order. The exponent is
    /// formed from the same operands in the same order as the direct formula; the exponentials
    /// are evaluated a SIMD vector of columns at a time (<see cref="Vector.Exp(Vector{double})"/>,
    /// within ~1 ulp of <see cref="Math.Exp"/>: F agrees with the scalar formula to ~5e-16
    /// relative, far below the f32 rounding of the result).
    /// </summary>
    private static void FourierGrid(ProfileMixture profile, Cov2 unitCov, ReadOnlySpan<double> fftAmp, int sz,
                                    StampTransform ft, RenderWorkspace ws, Span<double> re, Span<double> imv)
    {
        int k = profile.Count, m = sz / 2 + 1;
        double twoPi2 = 2 * Math.PI * Math.PI;
        // Active components, in order: amplitude, C_xx v² per column, 2·C_xy, C_yy.
        Span<int> act = stackalloc int[k];
        int na = 0;
        for (int i = 0; i < k; i++) if (fftAmp[i] != 0) act[na++] = i;
        int vc = Vector<double>.Count;
        int mp = (m + vc - 1) / vc * vc;                      // columns padded to whole vectors
        var cols = ws.ColumnTerms(na * mp + 3 * mp);
        var cxxvv = cols.Slice(0, na * mp);
        var vcol = cols.Slice(na * mp, mp);
        var f = cols.Slice(na * mp + mp, mp);
        var arg = cols.Slice(na * mp + 2 * mp, mp);
        Span<double> a = stackalloc double[na];
        Span<double> tcxy = stackalloc double[na];
        Span<double> cyy = stackalloc double[na];
        Span<bool> delta = stackalloc bool[na];
        for (int c = 0; c < mp; c++) vcol[c] = c / (double)sz; // padding columns are computed, never stored
        for (int q = 0; q < na; q++)
        {
            int i = act[q];
            double vk = profile.Variances[i];
            a[q] = fftAmp[i];
            delta[q] = vk == 0;
            double cxx = vk * unitCov.Xx;
            tcxy[q] = 2 * (vk * unitCov.Xy);
            cyy[q] = vk * unitCov.Yy;
            for (int c = 0; c < mp; c++) { double v = vcol[c]; cxxvv[q * mp + c] = cxx * v * v; }
        }
        var ftRe = ft.Re; var ftIm = ft.Im;
        var vv = MemoryMarshal.Cast<double, Vector<double>>(vcol);
        var vf = MemoryMarshal.Cast<double, Vector<double>>(f);
        var varg = MemoryMarshal.Cast<double, Vector<double>>(arg);
        var vneg = new Vector<double>(-twoPi2);
        for (int r = 0; r < sz; r++)
        {
            double w = (r < sz / 2 ? r : r - sz) / (double)sz;
            var vw = new Vector<double>(w);
            f.Clear();
            for (int q = 0; q < na; q++)
            {
                var va = new Vector<double>(a[q]);
                if (delta[q]) { for (int t = 0; t < vf.Length; t++) vf[t] += va; continue; }
                var vt = new Vector<double>(tcxy[q]);
                var vy = new Vector<double>(cyy[q] * w * w);
                var vx = MemoryMarshal.Cast<double, Vector<double>>(cxxvv.Slice(q * mp, mp));
                for (int t = 0; t < vf.Length; t++)
                    vf[t] += va * Vector.Exp(vneg * (vx[t] + vt * vv[t] * vw + vy));
            }
            int row = r * m;
            for (int c = 0; c < m; c++)
            {
                int idx = row + c;
                re[idx] = f[c] * ftRe[idx];
                imv[idx] = f[c] * ftIm[idx];
            }
        }
    }

    /// <summary>Step 7 of docs/fitting.md §16.5: adds the MoG set ⊗ PSF mixture on the patch's grid (f32 += f64).</summary>
    private static void AddMixture(ImagePatch patch, RenderWorkspace ws, ProfileMixture profile, Cov2 unitCov,
                                   double px, double py, GaussianMixture psfMix)
    {
        int k = profile.Count, n = 0;
        var mogAmp = ws.MogAmp;
        for (int i = 0; i < k; i++) if (mogAmp[i] != 0) n++;
        if (n == 0) return;
        Span<double> amps = stackalloc double[n];
        Span<Cov2> cov = stackalloc Cov2[n];
        for (int i = 0, j = 0; i < k; i++)
        {
            if (mogAmp[i] == 0) continue;
            amps[j] = mogAmp[i]; cov[j] = profile.Variances[i] * unitCov; j++;
        }
        var conv = psfMix.ConvolveWith(amps, cov, px, py);
        var acc = ws.Accumulator(patch.W * patch.H);
        conv.AddToGrid(patch.X0, patch.Y0, patch.W, patch.H, 0, 0, acc);
        var v = patch.Values;
        for (int i = 0; i < acc.Length; i++) v[i] = (float)(v[i] + acc[i]);
    }

    private static ImagePatch? CutTo(ImagePatch? p, PixelBox b)
    {
        var v = new float[b.Width * b.Height];
        if (p is not null)
            for (int r = 0; r < b.Height; r++)
                for (int c = 0; c < b.Width; c++)
                {
                    int pr = b.Y0 + r - p.Y0, pc = b.X0 + c - p.X0;
                    if (pr >= 0 && pr < p.H && pc >= 0 && pc < p.W) v[r * b.Width + c] = p.Values[pr * p.W + pc];
                }
        return new ImagePatch(b.X0, b.Y0, b.Width, b.Height, v);
    }
}

/// <summary>
/// One thread's scratch buffers for galaxy renders (half spectra, FFT output, Lanczos
/// scratch, mixture accumulator), grown on demand and never shrunk, so that steady-state
/// renders allocate only their output patch. Contents never outlive one render call.
/// </summary>
internal sealed class RenderWorkspace
{
    [ThreadStatic] private static RenderWorkspace? t_current;

    public static RenderWorkspace Current => t_current ??= new RenderWorkspace();

    public double[] Re = [], Im = [], Work = [], FftAmp = [], MogAmp = [];
    private double[] _columns = [];
    public float[] G = [], Tmp = [], Scratch = [];
    private double[] _acc = [];

    /// <summary>Grows the buffers for FFT size <paramref name="sz"/> and <paramref name="k"/> profile components.</summary>
    public void Ensure(int sz, int k)
    {
        int m = sz / 2 + 1;
        if (Re.Length < sz * m) { Re = new double[sz * m]; Im = new double[sz * m]; }
        if (G.Length < sz * sz) { G = new float[sz * sz]; Tmp = new float[sz * sz]; }
        if (Scratch.Length < sz * sz) Scratch = new float[sz * sz];
        if (Work.Length < 4 * sz) Work = new double[4 * sz];
        if (FftAmp.Length < k) { FftAmp = new double[k]; MogAmp = new double[k]; }
    }

    /// <summary>An f64 scratch span of length <paramref name="n"/> (contents undefined).</summary>
    public Span<double> ColumnTerms(int n)
    {
        if (_columns.Length < n) _columns = new double[n];
        return _columns.AsSpan(0, n);
    }

    /// <summary>An f32 scratch span of length <paramref name="n"/> (contents undefined).</summary>
    public Span<float> LanczosScratch(int n)
    {
        if (Scratch.Length < n) Scratch = new float[n];
        return Scratch.AsSpan(0, n);
    }

    /// <summary>A zeroed f64 span of length <paramref name="n"/>.</summary>
    public Span<double> Accumulator(int n)
    {
        if (_acc.Length < n) _acc = new double[n];
        var s = _acc.AsSpan(0, n);
        s.Clear();
        return s;
    }
}
