using System.Numerics;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Psf.Models;

using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Numerics;

namespace Tract7dt.Tests.Rendering;

/// <summary>
/// The straightforward Fourier/mixture galaxy renderer as first written (allocating, full
/// sz×sz FFT and Lanczos passes), kept verbatim as the oracle that the optimised
/// <see cref="GalaxyRenderer"/> must reproduce bit for bit.
/// </summary>
internal static class ReferenceGalaxyRenderer
{
    /// <summary>
    /// Nominal unit-flux patch of a galaxy (docs/fitting.md §16.3–§16.5), or null if nothing is drawn.
    /// </summary>
    /// <param name="profile">Unit-r_e profile mixture.</param>
    /// <param name="unitCov">Pixel covariance per unit profile variance (T Tᵀ, docs/fitting.md §14.4).</param>
    /// <param name="radiusPix">nre·re/pixscale [px] (box size rule).</param>
    public static ImagePatch? Render(ProfileMixture profile, Cov2 unitCov, double radiusPix, double px, double py,
                                     int width, int height, IPsf psf)
    {
        int h = GalaxyRenderer.HalfSize(radiusPix, px, py, width, height, psf.Radius);
        var box = GalaxyRenderer.Box(px, py, h, width, height);
        if (box is null) return null;
        return psf.GalaxyPath == GalaxyConvolution.Analytic
            ? GalaxyRenderer.RenderAnalytic(profile, unitCov, px, py, box.Value, psf.GalaxyMixture!)
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
            return GalaxyRenderer.RenderAnalytic(profile, unitCov, px, py, mask, psf.GalaxyMixture!);
        var stamp = psf.Stamp!;
        int x0 = mask.X0, y0 = mask.Y0, x1 = mask.X1, y1 = mask.Y1, mw = mask.Width, mh = mask.Height;
        bool sourceOut = px < x0 || px > x1 - 1 || py < y0 || py > y1 - 1;
        if (sourceOut)
        {
            if (psf.IsHybrid && psf.GalaxyMixture is not null)
                return GalaxyRenderer.RenderAnalytic(profile, unitCov, px, py, mask, psf.GalaxyMixture);
            // The reference raises here ("sourceOut, not hybrid"); we render the nominal
            // Fourier patch and cut it to the mask instead (README fix #4: no crash).
            return CutTo(RenderFourier(profile, unitCov, px, py, (int)Math.Ceiling(Math.Max(mw, mh) / 2.0 + 1), mask, psf), mask);
        }
        double hp = Math.Max(Math.Max(mh / 2.0, mw / 2.0),
                    Math.Max(Math.Max(Math.Max(1 + px - x0, 1 + x1 - px), Math.Max(1 + py - y0, 1 + y1 - py)),
                             Math.Max(stamp.Width / 2.0, stamp.Height / 2.0)));
        int sz = GalaxyRenderer.FftSize((int)Math.Ceiling(hp));
        var ft = stamp.Fourier(sz);
        double mux = px - ft.Cx - x0, muy = py - ft.Cy - y0;
        double sx = Math.Round(mux), sy = Math.Round(muy);
        mux -= sx; muy -= sy;
        var g = new float[sz * sz];
        var mog = ComputeFourier(profile, unitCov, ft, psf.IsHybrid, mux, muy, g);
        var outv = new float[mw * mh];
        int isx = (int)sx, isy = (int)sy;
        for (int r = 0; r < mh; r++)
        {
            int gr = r - isy;
            if (gr < 0 || gr >= sz) continue;
            for (int c = 0; c < mw; c++)
            {
                int gc = c - isx;
                if (gc >= 0 && gc < sz) outv[r * mw + c] = g[gr * sz + gc];
            }
        }
        var patch = new ImagePatch(x0, y0, mw, mh, outv);
        if (mog is not null) AddMixture(patch, mog, profile, unitCov, px, py, psf.GalaxyMixture!);
        return patch;
    }

    private static ImagePatch? RenderFourier(ProfileMixture profile, Cov2 unitCov, double px, double py, int h, PixelBox box, IPsf psf)
    {
        var stamp = psf.Stamp!;
        int sz = GalaxyRenderer.FftSize(h);
        var ft = stamp.Fourier(sz);
        double dx = px - ft.Cx, dy = py - ft.Cy;
        double ix0 = Math.Round(dx), iy0 = Math.Round(dy);
        var g = new float[sz * sz];
        var mog = ComputeFourier(profile, unitCov, ft, psf.IsHybrid, dx - ix0, dy - iy0, g);
        int ox = (int)Math.Max(ix0, box.X0), oy = (int)Math.Max(iy0, box.Y0);
        int ex = (int)Math.Min(ix0 + sz, box.X1), ey = (int)Math.Min(iy0 + sz, box.Y1);
        if (ex <= ox || ey <= oy) return null;
        int w = ex - ox, hh = ey - oy;
        var v = new float[w * hh];
        for (int r = 0; r < hh; r++)
            g.AsSpan((oy - (int)iy0 + r) * sz + (ox - (int)ix0), w).CopyTo(v.AsSpan(r * w, w));
        var patch = new ImagePatch(ox, oy, w, hh, v);
        if (mog is not null) AddMixture(patch, mog, profile, unitCov, px, py, psf.GalaxyMixture!);
        return patch;
    }

    /// <summary>
    /// Steps 4–5 of docs/fitting.md §16.5: hybrid split, analytic FT of the FFT set times the stamp's DFT,
    /// inverse real FFT, f32, Lanczos shift by (mux, muy). Writes sz×sz into <paramref name="g"/>;
    /// returns the amplitudes of the analytic (MoG) set, or null if it is empty.
    /// </summary>
    private static double[]? ComputeFourier(ProfileMixture profile, Cov2 unitCov, StampTransform ft, bool hybrid,
                                            double mux, double muy, float[] g)
    {
        int k = profile.Count, sz = ft.Size, m = sz / 2 + 1;
        var fftAmp = new double[k];
        double[]? mogAmp = null;
        if (!hybrid) Array.Copy(profile.Amplitudes, fftAmp, k);
        else
        {
            double rf = sz / 2.0;
            bool ramp = false;
            var im = new bool[k]; var iff = new bool[k];
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
                    mogAmp ??= new double[k];
                    mogAmp[i] = ramp ? a * Math.Min(1.0, 4.0 - ns) : a;
                }
                if (iff[i]) fftAmp[i] = ramp ? a * Math.Min(1.0, ns - 3.0) : a;
            }
        }
        bool anyFft = false;
        for (int i = 0; i < k; i++) anyFft |= fftAmp[i] != 0;
        if (!anyFft) { Array.Clear(g); return mogAmp; }

        var re = new double[sz * m];
        var imv = new double[sz * m];
        double twoPi2 = 2 * Math.PI * Math.PI;
        for (int r = 0; r < sz; r++)
        {
            double w = (r < sz / 2 ? r : r - sz) / (double)sz;
            for (int c = 0; c < m; c++)
            {
                double v = c / (double)sz;
                double f = 0;
                for (int i = 0; i < k; i++)
                {
                    double a = fftAmp[i];
                    if (a == 0) continue;
                    double vk = profile.Variances[i];
                    if (vk == 0) { f += a; continue; }
                    double cxx = vk * unitCov.Xx, cxy = vk * unitCov.Xy, cyy = vk * unitCov.Yy;
                    f += a * Math.Exp(-twoPi2 * (cxx * v * v + 2 * cxy * v * w + cyy * w * w));
                }
                int idx = r * m + c;
                re[idx] = f * ft.Re[idx];
                imv[idx] = f * ft.Im[idx];
            }
        }
        var work = new double[4 * sz];
        if (mux != 0 || muy != 0)
        {
            var tmp = new float[sz * sz];
            Radix2Fft.Irfft2(re, imv, sz, tmp, work);
            Lanczos3.Shift(tmp, sz, sz, mux, muy, g, new float[sz * sz]);
        }
        else Radix2Fft.Irfft2(re, imv, sz, g, work);
        return mogAmp;
    }

    /// <summary>Step 7 of docs/fitting.md §16.5: adds the MoG set ⊗ PSF mixture on the patch's grid (f32 += f64).</summary>
    private static void AddMixture(ImagePatch patch, double[] mogAmp, ProfileMixture profile, Cov2 unitCov,
                                   double px, double py, GaussianMixture psfMix)
    {
        int k = profile.Count, n = 0;
        for (int i = 0; i < k; i++) if (mogAmp[i] != 0) n++;
        if (n == 0) return;
        var amps = new double[n];
        var cov = new Cov2[n];
        for (int i = 0, j = 0; i < k; i++)
        {
            if (mogAmp[i] == 0) continue;
            amps[j] = mogAmp[i]; cov[j] = profile.Variances[i] * unitCov; j++;
        }
        var conv = psfMix.ConvolveWith(amps, cov, px, py);
        var acc = new double[patch.W * patch.H];
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
