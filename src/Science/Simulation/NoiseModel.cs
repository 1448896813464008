namespace Tract7dt.Science.Simulation;

/// <summary>
/// Detector noise of one band, in the units of the stored (sky-subtracted) image.
/// The sky background of <see cref="SkyElectrons"/> e⁻ per pixel and the source signal are
/// drawn as one Poisson count, the sky level is subtracted again (as a reduction pipeline
/// does), and Gaussian read noise is added. Hence per-pixel variance, in ADU²:
/// <c>SKYSIG² + max(signal, 0)/EGAIN</c> with <c>SKYSIG² = (SkyElectrons + ReadNoise²)/EGAIN²</c>,
/// exactly the noise model the pipeline assumes (docs/inputs.md §3.2).
/// </summary>
/// <param name="Gain">Effective gain EGAIN, e⁻/ADU (&gt; 0).</param>
/// <param name="SkyElectrons">Sky background per pixel, e⁻ (≥ 0).</param>
/// <param name="ReadNoise">Read noise per pixel, e⁻ (≥ 0).</param>
public readonly record struct NoiseModel(double Gain, double SkyElectrons, double ReadNoise)
{
    /// <summary>1-σ sky noise per pixel in ADU: the header value SKYSIG.</summary>
    public double SkySigma => Math.Sqrt(SkyElectrons + ReadNoise * ReadNoise) / Gain;

    /// <summary>Builds the model that has sky noise <paramref name="skySigmaAdu"/> for a gain and read noise.</summary>
    public static NoiseModel FromSkySigma(double skySigmaAdu, double gain, double readNoise)
    {
        double skyE = skySigmaAdu * skySigmaAdu * gain * gain - readNoise * readNoise;
        if (skyE < 0) throw new ArgumentOutOfRangeException(nameof(skySigmaAdu), "read noise alone exceeds the requested sky sigma");
        return new NoiseModel(gain, skyE, readNoise);
    }

    /// <summary>
    /// Replaces each noiseless pixel value (ADU above sky) of <paramref name="row"/> by a
    /// noisy one. Draws come from <paramref name="rng"/> in pixel order, so one generator per
    /// image row makes the result independent of how rows are grouped into strips.
    /// Non-finite input pixels are left untouched.
    /// </summary>
    public void Apply(Span<float> row, ref SimRandom rng)
    {
        double g = Gain, sky = SkyElectrons, rn = ReadNoise;
        for (int i = 0; i < row.Length; i++)
        {
            double s = row[i];
            if (!double.IsFinite(s)) continue;
            double lam = sky + Math.Max(s, 0.0) * g;
            double e = rng.NextPoisson(lam) - sky;
            if (rn > 0) e += rn * rng.NextGaussian();
            // Negative noiseless values (never produced by the renderer) keep their offset.
            if (s < 0) e += s * g;
            row[i] = (float)(e / g);
        }
    }
}
