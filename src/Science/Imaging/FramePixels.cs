namespace Tract7dt.Science.Imaging;

/// <summary>
/// The photometric constants of one band's frame, read from its header (docs/pipeline.md §3.3).
/// </summary>
/// <param name="SkySigmaAdu">SKYSIG: sky noise per pixel, ADU (finite, &gt; 0).</param>
/// <param name="GainEPerAdu">EGAIN: e⁻/ADU (finite, &gt; 0).</param>
/// <param name="Saturate">SATURATE in ADU, or +∞ when absent/invalid (no saturation mask).</param>
/// <param name="Scale">Flux scale to the reference zero point, 10^(−0.4 (ZP_AUTO − zp_ref)).</param>
public readonly record struct FrameCalibration(double SkySigmaAdu, double GainEPerAdu, double Saturate, double Scale)
{
    /// <summary>s = 10^(−0.4 (ZP_AUTO − zp_ref)), in double as the original computes it.</summary>
    public static double ScaleFor(double zpAuto, double zpRef) => Math.Pow(10.0, -0.4 * (zpAuto - zpRef));

    /// <summary>Pixels at or above this raw value are saturated: half of SATURATE (the original's rule).</summary>
    public float SaturationThreshold => (float)(Saturate / 2.0);

    public bool HasSaturation => double.IsFinite(Saturate);
}

/// <summary>
/// Turns raw ADU pixels of one band into the scaled image, noise maps and masks every
/// later stage uses (docs/pipeline.md §3.3 step 3). Works on any block of pixels (a row chunk,
/// an ePSF cell, a patch window), so no stage ever needs a band's full image in memory.
/// </summary>
public static class FramePixels
{
    /// <summary>Mask bits in <c>bad</c> outputs.</summary>
    public const byte BadNonFinite = 1, BadSaturated = 2;

    /// <summary>
    /// The two σ maps of <see cref="Prepare"/> again from the scaled image and the mask alone
    /// (raw = scaled / s): what a patch payload carries instead of storing them (they are 8 of
    /// its 14 bytes per pixel). σ_total can differ from Prepare's in the last bit of a float.
    /// </summary>
    public static void Sigmas(double skySigmaAdu, double gainEPerAdu, double scale, ReadOnlySpan<float> scaled, ReadOnlySpan<byte> bad,
        Span<float> sigmaSky, Span<float> sigmaTotal)
    {
        int n = scaled.Length;
        if (bad.Length < n || sigmaSky.Length < n || sigmaTotal.Length < n) throw new ArgumentException("every plane must hold the image's pixels");
        float skySigmaScaled = (float)(skySigmaAdu * scale);
        double sky2 = skySigmaAdu * skySigmaAdu, invGain = 1.0 / gainEPerAdu, invScale = 1.0 / scale;
        for (int i = 0; i < n; i++)
        {
            bool good = bad[i] == 0;
            sigmaSky[i] = good ? skySigmaScaled : float.PositiveInfinity;
            sigmaTotal[i] = good ? (float)(Math.Sqrt(sky2 + Math.Max(scaled[i] * invScale, 0.0) * invGain) * scale) : float.PositiveInfinity;
        }
    }

    /// <summary>
    /// Per pixel: scaled = raw·s (f32); saturated = finite ∧ raw ≥ SATURATE/2;
    /// bad = ¬finite ∨ saturated; σ_sky = SKYSIG·s (f32) where good, +∞ where bad;
    /// σ_total = sqrt(SKYSIG² + max(raw,0)/EGAIN)·s where good, +∞ where bad.
    /// </summary>
    /// <param name="raw">Raw pixels, ADU.</param>
    /// <param name="scaled">Destination, flux in the zp_ref system (NaN/inf propagate).</param>
    /// <param name="sigmaSky">Destination, or empty to skip.</param>
    /// <param name="sigmaTotal">Destination, or empty to skip.</param>
    /// <param name="bad">Destination mask (<see cref="BadNonFinite"/> | <see cref="BadSaturated"/>; 0 = good), or empty.</param>
    public static void Prepare(in FrameCalibration cal, ReadOnlySpan<float> raw, Span<float> scaled,
        Span<float> sigmaSky, Span<float> sigmaTotal, Span<byte> bad)
    {
        int n = raw.Length;
        if (scaled.Length < n) throw new ArgumentException("scaled is shorter than raw", nameof(scaled));
        if (!sigmaSky.IsEmpty && sigmaSky.Length < n) throw new ArgumentException("sigmaSky is shorter than raw", nameof(sigmaSky));
        if (!sigmaTotal.IsEmpty && sigmaTotal.Length < n) throw new ArgumentException("sigmaTotal is shorter than raw", nameof(sigmaTotal));
        if (!bad.IsEmpty && bad.Length < n) throw new ArgumentException("bad is shorter than raw", nameof(bad));

        float s = (float)cal.Scale;
        float skySigmaScaled = (float)(cal.SkySigmaAdu * cal.Scale);
        double sky2 = cal.SkySigmaAdu * cal.SkySigmaAdu;
        double invGain = 1.0 / cal.GainEPerAdu;
        bool hasSat = cal.HasSaturation;
        float satThreshold = cal.SaturationThreshold;
        for (int i = 0; i < n; i++)
        {
            float r = raw[i];
            scaled[i] = r * s;
            byte b = 0;
            if (!float.IsFinite(r)) b = BadNonFinite;
            else if (hasSat && r >= satThreshold) b = BadSaturated;
            if (!bad.IsEmpty) bad[i] = b;
            if (!sigmaSky.IsEmpty) sigmaSky[i] = b == 0 ? skySigmaScaled : float.PositiveInfinity;
            if (!sigmaTotal.IsEmpty)
                sigmaTotal[i] = b == 0
                    ? (float)(Math.Sqrt(sky2 + Math.Max(r, 0f) * invGain) * cal.Scale)
                    : float.PositiveInfinity;
        }
    }
}
