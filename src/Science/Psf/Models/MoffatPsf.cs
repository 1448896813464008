using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// The pipeline's Moffat fallback PSF (docs/fitting.md §3.4, §15.6): a circular
/// Moffat stamp of radius ceil(radius_pix) drawn at pixel centres and normalised; point
/// sources use it as a <see cref="PixelizedPsf"/> whose radius is radius_pix; galaxies are
/// convolved analytically with a 3-component EM mixture fitted to the stamp.
/// </summary>
public sealed class MoffatPsf : IPsf
{
    /// <param name="fwhmPix">FWHM [px], finite and &gt; 0.</param>
    /// <param name="beta">Moffat β, finite and &gt; 1 (moffat_psf.beta, 3.5).</param>
    /// <param name="radiusPix">Stamp radius [px], finite and ≥ 1 (moffat_psf.radius_pix, 25).</param>
    /// <param name="shift">How point sources move the stamp to sub-pixel positions.</param>
    public MoffatPsf(double fwhmPix, double beta = 3.5, double radiusPix = 25.0, SubpixelShift shift = SubpixelShift.Lanczos3)
    {
        if (!double.IsFinite(fwhmPix) || fwhmPix <= 0)
            throw new Tract7dtException(ErrorCodes.PsfInvalid, $"Moffat PSF FWHM must be finite and > 0 pixels; got {fwhmPix} (check the band's PEEING/SEEING header or patch_run.fallback_default_fwhm_pix).");
        if (!double.IsFinite(beta) || beta <= 1)
            throw new Tract7dtException(ErrorCodes.PsfInvalid, $"moffat_psf.beta must be finite and > 1; got {beta}.");
        if (!double.IsFinite(radiusPix) || radiusPix < 1)
            throw new Tract7dtException(ErrorCodes.PsfInvalid, $"moffat_psf.radius_pix must be finite and ≥ 1; got {radiusPix}.");
        Fwhm = fwhmPix; Beta = beta; RadiusPix = radiusPix;
        Alpha = fwhmPix / (2.0 * Math.Sqrt(Math.Pow(2.0, 1.0 / beta) - 1.0));
        int r = (int)Math.Ceiling(radiusPix), size = 2 * r + 1;
        var raw = new double[size * size];
        double sum = 0;
        float a2 = (float)(Alpha * Alpha);
        for (int y = -r; y <= r; y++)
            for (int x = -r; x <= r; x++)
            {
                // base in f32, power in f64 (docs/fitting.md §3.4)
                float b = 1f + (float)(x * x + y * y) / a2;
                double v = Math.Pow(b, -beta);
                raw[(y + r) * size + (x + r)] = v; sum += v;
            }
        if (!double.IsFinite(sum) || sum <= 0)
            throw new Tract7dtException(ErrorCodes.PsfInvalid, $"Moffat stamp sum is {sum} for FWHM {fwhmPix}, β {beta}.");
        var stamp = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++) stamp[i] = (float)(raw[i] / sum);
        Pixelized = new PixelizedPsf(stamp, size, size, radiusPix, shift);
        try { Mixture = GaussianMixturePsf.EmFit(stamp, size, size, 3, 1000); }
        catch (Exception e) when (e is not Tract7dtException) { Mixture = null; }
    }

    public double Fwhm { get; }
    public double Beta { get; }
    public double RadiusPix { get; }
    /// <summary>Moffat core width α = FWHM / (2 sqrt(2^(1/β) − 1)) [px].</summary>
    public double Alpha { get; }
    public PixelizedPsf Pixelized { get; }
    public GaussianMixture? Mixture { get; }
    public double Radius => RadiusPix;
    public GalaxyConvolution GalaxyPath => GalaxyConvolution.Analytic;
    public GaussianMixture? GalaxyMixture => Mixture;
    public PixelizedPsf? Stamp => null;
    public bool IsHybrid => false;

    public ImagePatch? RenderPoint(double px, double py, int width, int height) => Pixelized.RenderPoint(px, py, width, height);

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"MoffatPSF(fwhm_pix={Fwhm:F3}, beta={Beta:F3}, radius_pix={RadiusPix:F1})");
}
