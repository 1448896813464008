using Tract7dt.Science.Detection;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// The <c>patch_background</c> record of meta.json (docs/epsf.md §4.1 / docs/outputs.md §6.2), scaled flux units.
/// </summary>
/// <param name="Median">nan-median of the background map (0 when disabled or failed).</param>
/// <param name="Mean">nan-mean of the background map (0 when disabled or failed).</param>
/// <param name="RmsMedian">nan-median of the background-rms map (NaN when disabled or failed).</param>
/// <param name="RmsMean">nan-mean of the background-rms map (NaN when disabled or failed).</param>
/// <param name="MaskFraction">Fraction of cell pixels masked for the estimate (bad pixels, plus the dilated source mask when estimated).</param>
/// <param name="Status"><c>"ok"</c>, <c>"disabled"</c> or <c>"error"</c>.</param>
/// <param name="Error"><c>"{Type}: {message}"</c> when the estimate failed, else null.</param>
public sealed record CellBackgroundRecord(double Median, double Mean, double RmsMedian, double RmsMean,
    double MaskFraction, string Status, string? Error = null)
{
    /// <summary>The record of a cell whose background is not subtracted: median/mean 0, rms NaN, bad-pixel fraction.</summary>
    public static CellBackgroundRecord Disabled(ReadOnlySpan<byte> bad) =>
        new(0.0, 0.0, double.NaN, double.NaN, Fraction(bad), "disabled");

    internal static double Fraction(ReadOnlySpan<byte> mask)
    {
        if (mask.IsEmpty) return double.NaN;
        int n = 0;
        foreach (byte b in mask) if (b != 0) n++;
        return n / (double)mask.Length;
    }
}

/// <summary>
/// Per-cell SEP background (docs/epsf.md §4.1): mask bad pixels and the
/// sources above <c>m + k·s</c> (m, s = medians of the good data and of σ), dilate the
/// source mask, estimate the mesh background, subtract it. A failure leaves the cell
/// as it is with status "error" rather than failing the cell.
/// </summary>
public static class CellBackground
{
    /// <summary>
    /// Estimates and subtracts the background of one cell.
    /// </summary>
    /// <param name="image">Cell pixels (scaled flux), <c>[y*width + x]</c>.</param>
    /// <param name="sigma">Sky σ per pixel (scaled), +∞ on bad pixels.</param>
    /// <param name="bad">Bad-pixel mask (non-zero = bad).</param>
    /// <param name="settings">Mesh sizes and source-mask settings.</param>
    /// <param name="subtracted">Receives <c>image − background</c> (NaN stays NaN); length W·H.</param>
    /// <param name="background">Receives the background map (0 on failure).</param>
    /// <param name="rms">Receives the background-rms map (0 on failure).</param>
    /// <param name="model">The mesh the maps come from (null on failure), which the pictures redraw the maps from.</param>
    public static CellBackgroundRecord Subtract(ReadOnlySpan<float> image, ReadOnlySpan<float> sigma, ReadOnlySpan<byte> bad,
        int width, int height, EpsfCellSettings settings, Span<float> subtracted, Span<float> background, Span<float> rms,
        out Background? model)
    {
        model = null;
        var mask = new byte[image.Length];
        try
        {
            SourceMask.Build(image, sigma, bad, width, height, settings.Config.BackgroundSourceMaskSigma,
                settings.Config.BackgroundMaskDilate, mask);
            var bkg = Background.Compute(image, width, height, mask, settings.BackgroundBox, settings.BackgroundBox,
                settings.BackgroundFilter, settings.BackgroundFilter);
            bkg.Back(background);
            bkg.Rms(rms);
            model = bkg;
            for (int k = 0; k < image.Length; k++) subtracted[k] = image[k] - background[k];
            return new CellBackgroundRecord(NanMedian(background), NanMean(background), NanMedian(rms), NanMean(rms),
                CellBackgroundRecord.Fraction(mask), "ok");
        }
        catch (Exception e) when (e is Errors.Tract7dtException or ArgumentException or InvalidOperationException)
        {
            image.CopyTo(subtracted);
            background.Clear();
            rms.Clear();
            return new CellBackgroundRecord(0.0, 0.0, double.NaN, double.NaN, CellBackgroundRecord.Fraction(mask), "error",
                $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Median of the finite values (NaN if none).</summary>
    public static double NanMedian(ReadOnlySpan<float> values)
    {
        // a cell-sized double buffer four times per cell (map and rms, two passes): pooled, not
        // left to the large-object heap
        var buf = System.Buffers.ArrayPool<double>.Shared.Rent(values.Length);
        try
        {
            int n = 0;
            foreach (float v in values) if (float.IsFinite(v)) buf[n++] = v;
            return Numerics.ClippedStats.MedianInPlace(buf.AsSpan(0, n));
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(buf);
        }
    }

    /// <summary>Mean of the finite values (NaN if none), accumulated in double.</summary>
    public static double NanMean(ReadOnlySpan<float> values)
    {
        double s = 0;
        int n = 0;
        foreach (float v in values) if (float.IsFinite(v)) { s += v; n++; }
        return n > 0 ? s / n : double.NaN;
    }
}
