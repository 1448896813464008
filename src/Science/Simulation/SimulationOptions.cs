using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Simulation;

/// <summary>Size presets of the simulated tile.</summary>
public enum SimulationPreset
{
    /// <summary>3 bands, 600×600 px, ~60 sources: seconds; for unit and end-to-end tests.</summary>
    Tiny,
    /// <summary>5 bands, 2000×2000 px, ~1000 sources: the README's sample run.</summary>
    Sample,
    /// <summary>Full 7DT geometry: 40 bands, 9576×6388 px, ~15000 sources; for benchmarks.</summary>
    Tile,
    /// <summary>
    /// Built to break the photometry, with the original's default ePSF settings (per-star
    /// annulus on): 3 bands, one of them undersampled (FWHM 2.2 px), 1500×1500 px, 700
    /// sources, 4–8 PSF stars per ePSF cell, PSFs that change by ±15 % over the image with a
    /// broad faint halo, close star pairs and neighbours in the star stamps, catalogue
    /// positions off by 0.3 px rms, a strong sky gradient and a 80×80 px NaN hole in one band.
    /// </summary>
    Hard,
}

/// <summary>
/// What <see cref="Simulator.Run"/> generates. Null members take the preset's value.
/// </summary>
/// <param name="OutDir">Folder to write into (created if missing).</param>
/// <param name="Preset">Size preset.</param>
/// <param name="Bands">Band names (FITS FILTER values), e.g. <c>m400</c>; the digits give the
/// central wavelength in nm (<c>m412</c> = 412.5 nm).</param>
/// <param name="Width">Image width (NAXIS1), pixels.</param>
/// <param name="Height">Image height (NAXIS2), pixels.</param>
/// <param name="Sources">Number of rendered sources (stars + galaxies), before the catalogue's detection cut.</param>
/// <param name="Seed">Seed of every random draw; the same seed gives byte-identical files.</param>
public sealed record SimulationOptions(
    string OutDir,
    SimulationPreset Preset = SimulationPreset.Tiny,
    IReadOnlyList<string>? Bands = null,
    int? Width = null,
    int? Height = null,
    int? Sources = null,
    ulong Seed = 7)
{
    /// <summary>Options with every null member filled from the preset, validated.</summary>
    public ResolvedSimulation Resolve()
    {
        var (bands, w, h, n, margin) = Preset switch
        {
            SimulationPreset.Tiny => (new[] { "m400", "m550", "m700" }, 600, 600, 60, 30),
            SimulationPreset.Sample => (new[] { "m400", "m475", "m550", "m625", "m700" }, 2000, 2000, 1000, 50),
            SimulationPreset.Tile => (TileBands(), 9576, 6388, 15000, 500),
            SimulationPreset.Hard => (new[] { "m400", "m550", "m700" }, 1500, 1500, 700, 50),
            _ => throw new Tract7dtException(ErrorCodes.SimulationOptionsInvalid, $"Unknown preset '{Preset}'; use tiny, sample or tile."),
        };
        var b = Bands is { Count: > 0 } ? Bands.Select(x => x.Trim()).ToArray() : bands;
        int W = Width ?? w, H = Height ?? h, N = Sources ?? n;
        if (W < 100 || H < 100)
            throw new Tract7dtException(ErrorCodes.SimulationOptionsInvalid, $"--size {W} {H} is too small; each side must be at least 100 pixels.");
        if ((long)W * H > 200_000_000L)
            throw new Tract7dtException(ErrorCodes.SimulationOptionsInvalid, $"--size {W} {H} is larger than 2e8 pixels per band; use a smaller size.");
        if (N < 1)
            throw new Tract7dtException(ErrorCodes.SimulationOptionsInvalid, $"--sources {N} must be at least 1.");
        if (b.Any(string.IsNullOrWhiteSpace) || b.Distinct(StringComparer.Ordinal).Count() != b.Length)
            throw new Tract7dtException(ErrorCodes.SimulationOptionsInvalid, $"--bands '{string.Join(",", b)}' must be distinct, non-empty names such as m400,m425.");
        margin = Math.Min(margin, Math.Min(W, H) / 10);
        return new ResolvedSimulation(OutDir, b, W, H, N, Seed, margin, Preset == SimulationPreset.Hard);
    }

    /// <summary>The 40 7DT medium bands, 400 to 887.5 nm in steps of 12.5 nm (names truncate the .5).</summary>
    public static string[] TileBands() =>
        Enumerable.Range(0, 40).Select(i => "m" + ((int)(400 + 12.5 * i)).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

/// <summary>Fully resolved simulation settings.</summary>
/// <param name="CropMargin">The <c>crop.margin</c> written into the config, pixels.</param>
/// <param name="Hard">The <see cref="SimulationPreset.Hard"/> world (see there).</param>
public sealed record ResolvedSimulation(string OutDir, string[] Bands, int Width, int Height, int Sources, ulong Seed, int CropMargin,
    bool Hard = false)
{
    /// <summary>Nominal zero point of the scaled flux system (config image_scaling.zp_ref).</summary>
    public const double ZpRef = 25.0;
    /// <summary>Pixel scale, arcsec per pixel (7DT).</summary>
    public const double PixelScaleArcsec = 0.505;
    /// <summary>Radius of the saturation cut written into the config (source_saturation_cut.radius_pix).</summary>
    public const double SaturationRadiusPix = 20.0;
}
