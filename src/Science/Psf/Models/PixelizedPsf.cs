using System.Collections.Concurrent;
using System.Numerics;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// How a pixelized PSF (and a galaxy convolved with it) is moved by the sub-pixel remainder
/// of a source position.
/// </summary>
public enum SubpixelShift
{
    /// <summary>The reference's 7-tap Lanczos-3 filter (docs/fitting.md §15.4). On a PSF of
    /// FWHM ~3 px its response droops near the sampling limit: the shifted stamp is off by up
    /// to ~0.7 % of the peak, and a star fitted with it comes out up to 0.4 % faint.</summary>
    Lanczos3,
    /// <summary>A phase ramp on the stamp's DFT (band-limited, sinc interpolation): exact for
    /// a PSF sampled above the Nyquist rate, ~10× closer to the truth than Lanczos-3 on a
    /// 3-px PSF, and fitted star fluxes unbiased to ~0.01 %.</summary>
    Fourier,
}

/// <summary>
/// A PSF given as an odd-sized f32 stamp centred on element [H/2][W/2] (docs/fitting.md §15.4).
/// Point sources: the stamp placed on the rounded position (round half to even) and moved by
/// the remainder, with a Lanczos-3 filter (the reference) or a Fourier phase ramp
/// (<see cref="SubpixelShift"/>). Galaxies: Fourier convolution with the zero-padded stamp's
/// DFT (cached per FFT size), the remainder applied the same way.
/// </summary>
public sealed class PixelizedPsf : IPsf
{
    private readonly float[] _stamp;
    private readonly ConcurrentDictionary<int, StampTransform> _fft = new();

    /// <param name="stamp">Row-major stamp values (copied), any normalisation.</param>
    /// <param name="width">Stamp width (odd).</param>
    /// <param name="height">Stamp height (odd).</param>
    /// <param name="radius">Radius override [px]; default hypot(H/2, W/2).</param>
    /// <param name="shift">How sub-pixel remainders are applied.</param>
    public PixelizedPsf(ReadOnlySpan<float> stamp, int width, int height, double? radius = null,
                        SubpixelShift shift = SubpixelShift.Lanczos3)
    {
        if (width % 2 == 0 || height % 2 == 0 || width < 1 || height < 1)
            throw new Tract7dtException(ErrorCodes.PsfStampNotOdd,
                $"A pixelized PSF stamp must have odd width and height; got {width}×{height}. Crop the ePSF to an odd size (epsf.final_psf_size).");
        if (stamp.Length != width * height)
            throw new ArgumentException($"stamp has {stamp.Length} values, expected {width}×{height}");
        _stamp = stamp.ToArray();
        Width = width; Height = height;
        Shift = shift;
        _pointFftSize = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(width, height) + 2);
        Radius = radius ?? Math.Sqrt((height / 2.0) * (height / 2.0) + (width / 2.0) * (width / 2.0));
    }

    private readonly int _pointFftSize;

    // The ePSF at its own sampling (oversampled o× relative to image pixels), when built from one
    // (FromOversampled): point sources are moved on this grid, which resolves the core that an
    // undersampled image-pixel stamp aliases, and only then sampled at whole image pixels.
    private readonly float[]? _fine;
    private readonly int _fineWidth, _fineHeight;
    private readonly double _fineNorm = 1;
    private StampTransform? _fineFft;

    /// <summary>
    /// An image-pixel PSF from an ePSF tabulated every 1/<paramref name="oversampling"/> pixel
    /// (pixel-integrated, as an ePSF builder gives it). <see cref="Values"/> is the ePSF sampled
    /// at whole pixels (every o-th value from the centre, unit sum). Point sources moved by a
    /// sub-pixel remainder are drawn from the oversampled table with the Fourier shift
    /// (<see cref="FineShifted"/>): on an undersampled band (FWHM ≲ 2.5 px) the image-pixel
    /// stamp holds aliased power near the Nyquist frequency that any interpolation between its
    /// samples turns into ringing of ~1 % of the peak; on the o× grid that power is resolved.
    /// With oversampling 1, a shift mode other than Fourier, or an o that is not a power of two
    /// it is the plain image-pixel PSF.
    /// </summary>
    public static PixelizedPsf FromOversampled(float[] fine, int width, int height, int oversampling,
                                               SubpixelShift shift = SubpixelShift.Fourier)
    {
        var coarse = Decimate(fine, width, height, Math.Max(1, oversampling), out int w, out int h);
        if (oversampling <= 1 || shift != SubpixelShift.Fourier || !BitOperations.IsPow2(oversampling))
            return new PixelizedPsf(coarse, w, h, shift: shift);
        return new PixelizedPsf(coarse, w, h, shift, fine, width, height, oversampling);
    }

    private PixelizedPsf(float[] coarse, int w, int h, SubpixelShift shift, float[] fine, int fineWidth, int fineHeight, int oversampling)
        : this(coarse, w, h, shift: shift)
    {
        _fine = fine.ToArray();
        _fineWidth = fineWidth; _fineHeight = fineHeight;
        Oversampling = oversampling;
        // Decimate scales the whole-pixel samples to unit sum; the same factor for every shift.
        int cx = (fineWidth - 1) / 2, cy = (fineHeight - 1) / 2;
        double sum = 0;
        for (int j = -(h / 2); j <= h / 2; j++)
            for (int i = -(w / 2); i <= w / 2; i++)
                sum += fine[(cy + j * oversampling) * fineWidth + cx + i * oversampling];
        _fineNorm = sum > 0 ? 1 / sum : 1;
    }

    /// <summary>
    /// An ePSF built with oversampling o, as the image-pixel PSF. The ePSF is the
    /// pixel-integrated PSF tabulated every 1/o pixel, so a star centred on a pixel puts
    /// E[c + k·o] into the pixel k away: every o-th value from the centre, not an o×o block
    /// sum (that would integrate over the pixel a second time). Renormalised to unit sum.
    /// The original hands the oversampled array to the fit as if it were image pixels (a PSF
    /// o times too wide; README, differences).
    /// </summary>
    public static float[] Decimate(float[] stamp, int width, int height, int oversampling, out int outWidth, out int outHeight)
    {
        int cx = (width - 1) / 2, cy = (height - 1) / 2;
        int rx = cx / oversampling, ry = cy / oversampling;
        outWidth = 2 * rx + 1;
        outHeight = 2 * ry + 1;
        var d = new float[outWidth * outHeight];
        double sum = 0;
        for (int j = -ry; j <= ry; j++)
            for (int i = -rx; i <= rx; i++)
            {
                float v = stamp[(cy + j * oversampling) * width + cx + i * oversampling];
                d[(j + ry) * outWidth + i + rx] = v;
                sum += v;
            }
        if (sum > 0) for (int k = 0; k < d.Length; k++) d[k] = (float)(d[k] / sum);
        return d;
    }

    /// <summary>
    /// An image-pixel ePSF as the fit draws it. With the Fourier shift and a FWHM below
    /// <see cref="PixelCoreMixture.MaxFwhmPix"/> (an undersampled band), point sources are its
    /// core model (<see cref="PixelCoreMixture"/>) integrated over the pixels at the moved
    /// position plus the remainder moved by the phase ramp: the ramp alone rings by 0.6–3 % of
    /// the peak there. Otherwise (or when the model cannot be fitted) the stamp as it is.
    /// <see cref="Values"/> is the stamp in every case; galaxies use it unchanged.
    /// </summary>
    /// <param name="near">The PSF of a nearby place, whose core model the fit starts from.</param>
    public static PixelizedPsf ForFit(float[] stamp, int width, int height, SubpixelShift shift, PixelizedPsf? near = null)
    {
        var psf = new PixelizedPsf(stamp, width, height, shift: shift);
        if (shift != SubpixelShift.Fourier || width != height) return psf;
        double fwhm = Epsf.EpsfPostProcess.Fwhm(stamp, width, 1);
        if (!(fwhm < PixelCoreMixture.MaxFwhmPix)) return psf;
        var core = PixelCoreMixture.Fit(stamp, width, height, fwhm, near?._core);
        if (core is null) return psf;
        var rest = stamp.ToArray();
        core.Add(0, 0, rest, width, height, -1);
        // a model that misses the stamp by more than a few per cent of its peak somewhere does not
        // describe this PSF (an asymmetric or rough core): the ramp alone is the safer interpolant
        float peak = 0, worst = 0;
        for (int k = 0; k < rest.Length; k++) { peak = Math.Max(peak, stamp[k]); worst = Math.Max(worst, Math.Abs(rest[k])); }
        if (!(worst <= PixelCoreMixture.MaxRemainder * peak)) return psf;
        psf._core = core;
        psf._remainder = new PixelizedPsf(rest, width, height, shift: SubpixelShift.Fourier);
        return psf;
    }

    private PixelCoreMixture? _core;
    private PixelizedPsf? _remainder;

    /// <summary>The core model point sources are moved with, when the PSF is undersampled (<see cref="ForFit"/>).</summary>
    public PixelCoreMixture? CoreModel => _core;

    /// <summary>Oversampling of the table point sources are moved on (1: the image-pixel stamp itself).</summary>
    public int Oversampling { get; } = 1;

    public int Width { get; }
    public int Height { get; }

    /// <summary>How sub-pixel remainders are applied to point sources and galaxies.</summary>
    public SubpixelShift Shift { get; }
    public ReadOnlySpan<float> Values => _stamp;
    public double Radius { get; }
    public GalaxyConvolution GalaxyPath => GalaxyConvolution.Fourier;
    public GaussianMixture? GalaxyMixture => null;
    public PixelizedPsf? Stamp => this;
    public bool IsHybrid => false;

    /// <inheritdoc/>
    public ImagePatch? RenderPoint(double px, double py, int width, int height)
    {
        double r = Radius;
        if (px + r < 0 || px - r > width || py + r < 0 || py - r > height) return null;
        double ix = Math.Round(px), iy = Math.Round(py);
        var values = new float[Width * Height];
        Shifted(px - ix, py - iy, values);
        return new ImagePatch((int)ix - Width / 2, (int)iy - Height / 2, Width, Height, values);
    }

    /// <summary>The stamp shifted by (dx, dy) ∈ [−½, ½]² into <paramref name="dst"/> (W·H), by <see cref="Shift"/>.</summary>
    public void Shifted(double dx, double dy, Span<float> dst)
    {
        if (dx == 0 && dy == 0) { _stamp.CopyTo(dst); return; }
        if (_fine is not null) { FineShifted(dx, dy, dst); return; }
        if (_core is not null)
        {
            _remainder!.Shifted(dx, dy, dst);
            _core.Add(dx, dy, dst, Width, Height);
            return;
        }
        if (Shift == SubpixelShift.Fourier) { FourierShifted(dx, dy, dst); return; }
        Lanczos3.Shift(_stamp, Width, Height, dx, dy, dst, RenderWorkspace.Current.LanczosScratch(_stamp.Length));
    }

    /// <summary>
    /// The stamp moved by (dx, dy) with a phase ramp on its DFT: the stamp is zero-padded to
    /// a power of two at least two pixels larger than it (so the periodic copy the ramp drags
    /// in sits beyond the stamp's own zero border), multiplied by exp(−2πi(u·dx + v·dy)) and
    /// transformed back; the W×H window around the moved centre is kept. At the Nyquist row
    /// and column the ramp is replaced by its real part cos(π·d), the mean of the two aliases,
    /// which keeps the spectrum Hermitian (the result real).
    /// </summary>
    private void FourierShifted(double dx, double dy, Span<float> dst)
    {
        int sz = _pointFftSize, m = sz / 2 + 1;
        var ft = Fourier(sz);
        var ws = RenderWorkspace.Current;
        ws.Ensure(sz, 0);
        var re = ws.Re.AsSpan(0, sz * m);
        var im = ws.Im.AsSpan(0, sz * m);
        PhaseRamp(ft, dx, dy, re, im, ws.ColumnTerms(3 * sz + 2));
        var g = ws.G.AsSpan(0, sz * sz);
        int x0 = ft.Cx - Width / 2, y0 = ft.Cy - Height / 2;
        Radix2Fft.Irfft2Rows(re, im, sz, g, ws.Work, y0, y0 + Height);
        for (int r = 0; r < Height; r++)
            g.Slice((y0 + r) * sz + x0, Width).CopyTo(dst.Slice(r * Width, Width));
    }

    /// <summary>
    /// The oversampled table moved by (o·dx, o·dy) of its own pixels and sampled every o-th
    /// value: done in the Fourier domain, where sampling every o-th value folds the fine
    /// spectrum onto the image-pixel one, C(u, v) = o⁻² Σ_{a,b} G(u + a·S, v + b·S) (S the
    /// image-pixel FFT size, G the fine spectrum times its phase ramp), so each render costs
    /// one ramp over the fine half spectrum and one image-pixel inverse transform. The fine
    /// table is padded to o·S with its centre on the image-pixel centre's fine position, so
    /// the fold lands every sample where <see cref="FourierShifted"/> would put it.
    /// </summary>
    private void FineShifted(double dx, double dy, Span<float> dst)
    {
        int o = Oversampling, sz = _pointFftSize, m = sz / 2 + 1, fs = o * sz, fm = fs / 2 + 1;
        var ft = _fineFft ??= FineFourier(fs);
        var ws = RenderWorkspace.Current;
        ws.Ensure(sz, 0);
        var re = ws.Re.AsSpan(0, sz * m);
        var im = ws.Im.AsSpan(0, sz * m);
        // phase ramp terms per fine frequency index (signed frequency; the fine Nyquist term by
        // its real part, as in ApplyPhaseRamp, though an oversampled table has ~no power there)
        var t = ws.ColumnTerms(4 * fs);
        var cr = t.Slice(0, fs); var ci = t.Slice(fs, fs); var rr = t.Slice(2 * fs, fs); var ri = t.Slice(3 * fs, fs);
        double sx = o * dx, sy = o * dy;
        for (int q = 0; q < fs; q++)
        {
            if (q == fs / 2) { cr[q] = Math.Cos(Math.PI * sx); ci[q] = 0; rr[q] = Math.Cos(Math.PI * sy); ri[q] = 0; continue; }
            int f = q < fs / 2 ? q : q - fs;
            double ax = -2 * Math.PI * f * sx / fs, ay = -2 * Math.PI * f * sy / fs;
            cr[q] = Math.Cos(ax); ci[q] = Math.Sin(ax);
            rr[q] = Math.Cos(ay); ri[q] = Math.Sin(ay);
        }
        double scale = _fineNorm / (o * o);
        for (int r = 0; r < sz; r++)
            for (int c = 0; c < m; c++)
            {
                double accR = 0, accI = 0;
                for (int b = 0; b < o; b++)
                {
                    int fr = r + b * sz;
                    for (int a = 0; a < o; a++)
                    {
                        int fc = c + a * sz;
                        double vr, vi;
                        if (fc < fm) { vr = ft.Re[fr * fm + fc]; vi = ft.Im[fr * fm + fc]; }
                        else
                        {   // the other half of a real signal's spectrum: F(r, q) = conj F(−r, −q)
                            int k = ((fs - fr) % fs) * fm + (fs - fc);
                            vr = ft.Re[k]; vi = -ft.Im[k];
                        }
                        double pr = rr[fr] * cr[fc] - ri[fr] * ci[fc], pi = rr[fr] * ci[fc] + ri[fr] * cr[fc];
                        accR += vr * pr - vi * pi;
                        accI += vr * pi + vi * pr;
                    }
                }
                re[r * m + c] = accR * scale;
                im[r * m + c] = accI * scale;
            }
        var g = ws.G.AsSpan(0, sz * sz);
        var (_, cOff, _, _) = Axis(Width, sz);
        var (_, rOff, _, _) = Axis(Height, sz);
        Radix2Fft.Irfft2Rows(re, im, sz, g, ws.Work, rOff, rOff + Height);
        for (int r = 0; r < Height; r++)
            g.Slice((rOff + r) * sz + cOff, Width).CopyTo(dst.Slice(r * Width, Width));
    }

    /// <summary>The fine table's DFT at size <paramref name="fs"/> = o·S, its centre at o·(the image-pixel centre).</summary>
    private StampTransform FineFourier(int fs)
    {
        int o = Oversampling, sz = fs / o;
        var (_, cOff, _, _) = Axis(Width, sz);
        var (_, rOff, _, _) = Axis(Height, sz);
        int fcx = (_fineWidth - 1) / 2, fcy = (_fineHeight - 1) / 2;
        int x0 = o * (cOff + Width / 2) - fcx, y0 = o * (rOff + Height / 2) - fcy;
        var pad = new float[fs * fs];
        for (int r = 0; r < _fineHeight; r++)
        {
            int y = y0 + r;
            if (y < 0 || y >= fs) continue;
            for (int c = 0; c < _fineWidth; c++)
            {
                int x = x0 + c;
                if (x >= 0 && x < fs) pad[y * fs + x] = _fine![r * _fineWidth + c];
            }
        }
        int fm = fs / 2 + 1;
        var re = new double[fs * fm];
        var im = new double[fs * fm];
        Radix2Fft.Rfft2(pad, fs, re, im);
        return new StampTransform(fs, x0 + fcx, y0 + fcy, re, im);
    }

    /// <summary>
    /// (re, im) = the transform <paramref name="ft"/> times the phase ramp of
    /// <see cref="ApplyPhaseRamp"/>. <paramref name="scratch"/> needs 3·sz + 2 doubles.
    /// </summary>
    internal static void PhaseRamp(StampTransform ft, double dx, double dy, Span<double> re, Span<double> im, Span<double> scratch)
    {
        int n = ft.Size * (ft.Size / 2 + 1);
        ft.Re.AsSpan(0, n).CopyTo(re);
        ft.Im.AsSpan(0, n).CopyTo(im);
        ApplyPhaseRamp(ft.Size, dx, dy, re, im, scratch);
    }

    /// <summary>
    /// Multiplies the half spectrum (sz rows × sz/2+1 columns) in place by the separable ramp
    /// exp(−2πi(c·dx + r'·dy)/sz), r' the signed row frequency, which moves the image by
    /// (dx, dy). At the Nyquist row and column the ramp is its real part cos(π·d), the mean of
    /// the two aliases, so the spectrum stays Hermitian. <paramref name="scratch"/> needs
    /// 2·sz + 2 doubles.
    /// </summary>
    internal static void ApplyPhaseRamp(int sz, double dx, double dy, Span<double> re, Span<double> im, Span<double> scratch)
    {
        int m = sz / 2 + 1;
        var cr = scratch.Slice(0, m); var ci = scratch.Slice(m, m);
        var rr = scratch.Slice(2 * m, sz); var ri = scratch.Slice(2 * m + sz, sz);
        for (int c = 0; c < m; c++)
        {
            if (c == sz / 2) { cr[c] = Math.Cos(Math.PI * dx); ci[c] = 0; continue; }
            double a = -2 * Math.PI * c * dx / sz;
            cr[c] = Math.Cos(a); ci[c] = Math.Sin(a);
        }
        for (int r = 0; r < sz; r++)
        {
            if (r == sz / 2) { rr[r] = Math.Cos(Math.PI * dy); ri[r] = 0; continue; }
            int f = r < sz / 2 ? r : r - sz;
            double a = -2 * Math.PI * f * dy / sz;
            rr[r] = Math.Cos(a); ri[r] = Math.Sin(a);
        }
        for (int r = 0; r < sz; r++)
        {
            double yr = rr[r], yi = ri[r];
            var rowRe = re.Slice(r * m, m); var rowIm = im.Slice(r * m, m);
            for (int c = 0; c < m; c++)
            {
                double pr = yr * cr[c] - yi * ci[c], pi = yr * ci[c] + yi * cr[c];
                double a = rowRe[c], b = rowIm[c];
                rowRe[c] = a * pr - b * pi;
                rowIm[c] = a * pi + b * pr;
            }
        }
    }

    /// <summary>
    /// The stamp's DFT for FFT size <paramref name="sz"/> (a power of two): half spectrum
    /// (sz × (sz/2+1)), computed in f64 and rounded to complex64, and the PSF centre (cx, cy)
    /// inside the padded array (docs/fitting.md §15.4 <c>getFourierTransform</c>).
    /// </summary>
    public StampTransform Fourier(int sz) => _fft.GetOrAdd(sz, BuildFourier);

    private StampTransform BuildFourier(int sz)
    {
        if (!BitOperations.IsPow2(sz)) throw new ArgumentException("FFT size must be a power of two");
        var pad = new float[sz * sz];
        (int srcX0, int dstX0, int nx, int cx) = Axis(Width, sz);
        (int srcY0, int dstY0, int ny, int cy) = Axis(Height, sz);
        for (int r = 0; r < ny; r++)
            _stamp.AsSpan((srcY0 + r) * Width + srcX0, nx).CopyTo(pad.AsSpan((dstY0 + r) * sz + dstX0, nx));
        int m = sz / 2 + 1;
        var re = new double[sz * m];
        var im = new double[sz * m];
        Radix2Fft.Rfft2(pad, sz, re, im);
        for (int i = 0; i < re.Length; i++) { re[i] = (float)re[i]; im[i] = (float)im[i]; }
        return new StampTransform(sz, cx, cy, re, im);
    }

    private static (int Src0, int Dst0, int N, int C) Axis(int w, int sz)
    {
        if (sz >= w) { int off = (sz - w) / 2; return (0, off, w, off + w / 2); }
        int cut = (w - sz) / 2;
        return (cut, 0, sz, w / 2 - cut);
    }
}

/// <summary>
/// DFT of a PSF stamp zero-padded to Size × Size: half spectrum (Size rows × (Size/2+1)
/// columns, complex64 values held in f64) and the integer PSF centre (Cx, Cy) in the padded array.
/// </summary>
public sealed record StampTransform(int Size, int Cx, int Cy, double[] Re, double[] Im);
