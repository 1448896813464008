using System.Collections.Concurrent;
using System.Numerics;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// A PSF given as an odd-sized f32 stamp centred on element [H/2][W/2] (tractor-core.md §3.4).
/// Point sources: the stamp placed on the rounded position (round half to even) and moved by
/// the remainder with a Lanczos-3 shift. Galaxies: Fourier convolution with the zero-padded
/// stamp's DFT (cached per FFT size).
/// </summary>
public sealed class PixelizedPsf : IPsf
{
    private readonly float[] _stamp;
    private readonly ConcurrentDictionary<int, StampTransform> _fft = new();

    /// <param name="stamp">Row-major stamp values (copied), any normalisation.</param>
    /// <param name="width">Stamp width (odd).</param>
    /// <param name="height">Stamp height (odd).</param>
    /// <param name="radius">Radius override [px]; default hypot(H/2, W/2).</param>
    public PixelizedPsf(ReadOnlySpan<float> stamp, int width, int height, double? radius = null)
    {
        if (width % 2 == 0 || height % 2 == 0 || width < 1 || height < 1)
            throw new Tract7dtException(ErrorCodes.PsfStampNotOdd,
                $"A pixelized PSF stamp must have odd width and height; got {width}×{height}. Crop the ePSF to an odd size (epsf.final_psf_size).");
        if (stamp.Length != width * height)
            throw new ArgumentException($"stamp has {stamp.Length} values, expected {width}×{height}");
        _stamp = stamp.ToArray();
        Width = width; Height = height;
        Radius = radius ?? Math.Sqrt((height / 2.0) * (height / 2.0) + (width / 2.0) * (width / 2.0));
    }

    public int Width { get; }
    public int Height { get; }
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

    /// <summary>The stamp Lanczos-shifted by (dx, dy) ∈ [−½, ½]² into <paramref name="dst"/> (W·H).</summary>
    public void Shifted(double dx, double dy, Span<float> dst)
    {
        if (dx == 0 && dy == 0) { _stamp.CopyTo(dst); return; }
        Lanczos3.Shift(_stamp, Width, Height, dx, dy, dst, RenderWorkspace.Current.LanczosScratch(_stamp.Length));
    }

    /// <summary>
    /// The stamp's DFT for FFT size <paramref name="sz"/> (a power of two): half spectrum
    /// (sz × (sz/2+1)), computed in f64 and rounded to complex64, and the PSF centre (cx, cy)
    /// inside the padded array (§3.4 <c>getFourierTransform</c>).
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
