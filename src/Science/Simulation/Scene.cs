using System.Globalization;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// Everything about one simulated band: photometric calibration, detector and sky, and the
/// PSF's variation across the field.
/// </summary>
/// <param name="ZpTrue">True AB zero point of the stored image, mag (m = ZpTrue − 2.5 log10 ADU).</param>
/// <param name="ZpAuto">Header ZP_AUTO = ZpTrue + a calibration error of a few 0.01 mag.</param>
/// <param name="Saturate">Header SATURATE, raw ADU; stored pixels are clipped at this level.</param>
/// <param name="SkyGradient">Residual sky (ADU) = g0 + gx·u + gy·v with u, v ∈ [−1, 1] across the field.</param>
public sealed record BandSetup(
    string Name, double WavelengthNm, double ZpTrue, double ZpAuto,
    NoiseModel Noise, double Saturate,
    double Fwhm0, double FwhmGx, double FwhmGy, double Beta0, double BetaG, double Ell0, double EllG, double Angle0,
    (double G0, double Gx, double Gy) SkyGradient,
    double WingWeight = 0.06, double WingScale = 3.0, double WingBeta = 2.2, bool PsfVariesOverImage = false, double MinFwhm = 2.5)
{
    /// <summary>Header SKYSIG, ADU.</summary>
    public double SkySigma => Noise.SkySigma;
    /// <summary>ZP_AUTO − ZpTrue, mag.</summary>
    public double ZpOffset => ZpAuto - ZpTrue;
    /// <summary>Raw ADU per unit of true scaled flux: 10^(0.4·(ZpTrue − zp_ref)).</summary>
    public double RawPerTrueFlux => Math.Pow(10, 0.4 * (ZpTrue - ResolvedSimulation.ZpRef));
    /// <summary>Pipeline scale 10^(−0.4·(ZP_AUTO − zp_ref)) (scaled = raw × scale).</summary>
    public double PipelineScale => Math.Pow(10, -0.4 * (ZpAuto - ResolvedSimulation.ZpRef));
    /// <summary>The flux the pipeline measures for a true flux of 1: 10^(−0.4·(ZP_AUTO − ZpTrue)).</summary>
    public double ExpectedFluxFactor => RawPerTrueFlux * PipelineScale;

    /// <summary>
    /// The true PSF at pixel (x, y) of a W×H image. The optics vary over a whole 7DT frame
    /// (<see cref="FrameWidth"/>×<see cref="FrameHeight"/>), and a smaller image is the
    /// centre of such a frame: u, v ∈ [−1, 1] span the full frame, so a 600-px field sees
    /// about 6% of the frame's PSF gradient, as a real cut-out would.
    /// </summary>
    public MoffatPsf PsfAt(double x, double y, int width, int height)
    {
        double fw = PsfVariesOverImage ? width : Math.Max(width, FrameWidth), fh = PsfVariesOverImage ? height : Math.Max(height, FrameHeight);
        double u = (x - 0.5 * width) / (0.5 * fw), v = (y - 0.5 * height) / (0.5 * fh);
        double fwhm = Math.Clamp(Fwhm0 * (1 + FwhmGx * u + FwhmGy * v + 0.05 * (u * u + v * v)), MinFwhm, 4.0);
        double beta = Beta0 + BetaG * u;
        double e = Math.Clamp(Ell0 + EllG * (u - v), 0.0, 0.08);
        return new MoffatPsf(fwhm, beta, e, Angle0 + 0.6 * u - 0.4 * v, WingWeight, WingScale, WingBeta);
    }

    /// <summary>Width of a full 7DT frame, pixels: the scale of the PSF's variation.</summary>
    public const int FrameWidth = 9576;

    /// <summary>Height of a full 7DT frame, pixels.</summary>
    public const int FrameHeight = 6388;

    /// <summary>
    /// Residual sky at pixel (x, y), ADU. Like the PSF, the gradient spans a whole 7DT frame
    /// (u, v ∈ [−1, 1] over <see cref="FrameWidth"/>×<see cref="FrameHeight"/>) and a smaller
    /// image sees its centre: squeezed into a 600-px field, the same ±1–2 ADU gradient was
    /// ~16× steeper than a reduced frame leaves, and a patch's constant sky could not follow
    /// it under an extended galaxy (the tiny preset's galaxies came out 15–30 % faint).
    /// </summary>
    public double SkyAt(double x, double y, int width, int height)
    {
        double u = (x - 0.5 * width) / (0.5 * Math.Max(width, FrameWidth)), v = (y - 0.5 * height) / (0.5 * Math.Max(height, FrameHeight));
        return SkyGradient.G0 + SkyGradient.Gx * u + SkyGradient.Gy * v;
    }
}

/// <summary>Kind of a true source.</summary>
public enum TrueKind { Star, Exp, Dev, Sersic }

/// <summary>
/// One true source. Positions are 0-based pixels of the full frame; fluxes are true fluxes
/// in the zp_ref = 25 system (AB mag = 25 − 2.5 log10 F), one per band in band order.
/// </summary>
public sealed class TrueSource
{
    public required string Id { get; init; }
    public required TrueKind Kind { get; init; }
    public required double X { get; init; }
    public required double Y { get; init; }
    public double Ra { get; set; }
    public double Dec { get; set; }
    public required double[] Flux { get; init; }
    /// <summary>Sérsic index (1 for Exp, 4 for Dev; NaN for stars).</summary>
    public double SersicN { get; init; } = double.NaN;
    /// <summary>Half-light radius along the major axis, pixels (NaN for stars).</summary>
    public double Re { get; init; } = double.NaN;
    /// <summary>1 − b/a (NaN for stars).</summary>
    public double Ell { get; init; } = double.NaN;
    /// <summary>Major-axis angle, degrees counter-clockwise from +x, [−90, 90) (NaN for stars).</summary>
    public double Theta { get; init; } = double.NaN;
    /// <summary>True when written to the input catalogue (detectable and not held back).</summary>
    public bool InCatalog { get; set; }
    /// <summary>Gaia DR3-like source id when in the GaiaXP CSV, else empty.</summary>
    public string GaiaId { get; set; } = "";
    /// <summary>True when placed within a few pixels of another source on purpose.</summary>
    public bool Blend { get; init; }
    /// <summary>Full-frame pixel outside the crop box: the pipeline must flag excluded_crop.</summary>
    public bool ExpectExcludedCrop { get; set; }
    /// <summary>A saturated pixel (raw ≥ SATURATE/2) lies within the saturation-cut radius in some band.</summary>
    public bool ExpectExcludedSaturation { get; set; }

    public bool IsStar => Kind == TrueKind.Star;
    public SersicProfile Profile => new(SersicN, Re, 1.0 - Ell, Theta);
}

/// <summary>The whole simulated scene: geometry, WCS, bands and sources.</summary>
public sealed class Scene
{
    public required ResolvedSimulation Settings { get; init; }
    public required TanWcs Wcs { get; init; }
    public required BandSetup[] Bands { get; init; }
    public required List<TrueSource> Sources { get; init; }
    public int Width => Settings.Width;
    public int Height => Settings.Height;

    /// <summary>Central wavelength (nm) from a band name such as <c>m412</c> (→ 412.5); <paramref name="fallback"/> when it has no digits.</summary>
    public static double WavelengthOf(string band, double fallback)
    {
        var digits = new string(band.SkipWhile(c => !char.IsDigit(c)).TakeWhile(char.IsDigit).ToArray());
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int nm) || nm < 100) return fallback;
        // 7DT names drop the .5 of the 12.5-nm grid (m412 = 412.5 nm).
        return (nm - 400) % 25 == 12 ? nm + 0.5 : nm;
    }
}
