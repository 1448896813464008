namespace Tract7dt.Science.Imaging;

/// <summary>
/// Inverse-variance weighted coadd of all bands (docs/pipeline.md §3.5), accumulated band by band
/// over a block of pixels: white = Σ w·I / Σ w, σ_white = sqrt(1/Σ w), with
/// w = 1/max(σ_sky², 1e-12) on good pixels and 0 elsewhere. Sums are f32 in band order.
/// </summary>
/// <remarks>
/// README.md, Differences #12: the original forms w·I even where w = 0, so a NaN pixel in
/// any band makes the white stack NaN there. Here a band contributes nothing where its
/// weight is 0, so the other bands still count.
/// </remarks>
public static class WhiteStack
{
    /// <summary>Adds one band's block to the running sums.</summary>
    /// <param name="scaled">Scaled image of the band.</param>
    /// <param name="sigmaSky">Sky sigma of the band (+∞ where bad).</param>
    /// <param name="bad">Bad mask of the band (non-zero = bad).</param>
    /// <param name="numerator">Running Σ w·I (start at 0).</param>
    /// <param name="denominator">Running Σ w (start at 0).</param>
    public static void Accumulate(ReadOnlySpan<float> scaled, ReadOnlySpan<float> sigmaSky, ReadOnlySpan<byte> bad,
        Span<float> numerator, Span<float> denominator)
    {
        int n = scaled.Length;
        if (sigmaSky.Length != n || bad.Length != n || numerator.Length != n || denominator.Length != n)
            throw new ArgumentException("all spans must have the same length");
        for (int i = 0; i < n; i++)
        {
            float sig = sigmaSky[i];
            if (bad[i] != 0 || !float.IsFinite(sig) || sig <= 0f) continue;
            float w = 1f / MathF.Max(sig * sig, 1e-12f);
            float v = scaled[i];
            if (!float.IsFinite(v)) continue; // cannot happen for a good pixel; kept as a guard
            numerator[i] += w * v;
            denominator[i] += w;
        }
    }

    /// <summary>white = N/D (NaN where D = 0) and σ_white = sqrt(1/D) (+∞ where D = 0), in place of the sums.</summary>
    public static void Finish(Span<float> numeratorToWhite, Span<float> denominatorToSigma)
    {
        if (numeratorToWhite.Length != denominatorToSigma.Length) throw new ArgumentException("length mismatch");
        for (int i = 0; i < numeratorToWhite.Length; i++)
        {
            float d = denominatorToSigma[i];
            if (d > 0f)
            {
                numeratorToWhite[i] /= d;
                denominatorToSigma[i] = MathF.Sqrt(1f / d);
            }
            else
            {
                numeratorToWhite[i] = float.NaN;
                denominatorToSigma[i] = float.PositiveInfinity;
            }
        }
    }

    /// <summary>Row-chunk height of the original: max(256, min(1024, H div 8)) (H &lt; 8 → min(1024, H)).</summary>
    public static int ChunkRows(int height) => Math.Max(256, Math.Min(1024, height >= 8 ? height / 8 : height));
}
