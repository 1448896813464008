using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// The sanity check every ePSF stamp passes before a fit uses it. A stamp damaged after it was
/// written (a disk fault, an editor, a copy that kept the size and the date) would otherwise
/// be normalised and used: the content keys see only what a file's size and date tell them
/// unless `tract7dt verify` rehashes it. The checks do not depend on how the stamp is
/// normalised (unit sum, or o² when oversampled): most values finite (a non-finite value is read
/// as 0, as the original does; more than a tenth of them is damage), a positive peak inside
/// the stamp's central half, negative lobes no deeper than a fifth of the peak, and limited
/// cancellation (Σ|v| ≤ 4 Σv; a noisy ePSF of a few stars reaches ~1.8), which random bytes
/// never pass.
/// </summary>
public static class EpsfStampCheck
{
    /// <summary>Throws <see cref="ErrorCodes.EpsfInvalid"/> naming <paramref name="path"/> and what is wrong.</summary>
    public static void Require(ReadOnlySpan<float> stamp, int width, int height, string path)
    {
        string? why = Problem(stamp, width, height);
        if (why is not null)
            throw new Tract7dtException(ErrorCodes.EpsfInvalid,
                $"The ePSF stamp {path} is not a PSF ({why}): the file was damaged after it was written. " +
                "Delete it and rerun (or run 'tract7dt verify --config …' to find every damaged file).");
    }

    /// <summary>What is wrong with the stamp, or null when it passes.</summary>
    public static string? Problem(ReadOnlySpan<float> stamp, int width, int height)
    {
        if (width < 1 || height < 1 || stamp.Length != width * height) return $"{stamp.Length} values for {width}×{height}";
        double sum = 0, abs = 0;
        float peak = float.NegativeInfinity, min = float.PositiveInfinity;
        int at = -1, bad = 0, firstBad = -1;
        for (int k = 0; k < stamp.Length; k++)
        {
            float v = stamp[k];
            if (!float.IsFinite(v))
            {
                if (bad++ == 0) firstBad = k;
                continue;
            }
            sum += v; abs += Math.Abs(v);
            if (v > peak) { peak = v; at = k; }
            if (v < min) min = v;
        }
        if (bad * 10 > stamp.Length)
            return $"{bad} of {stamp.Length} values are not finite, the first {stamp[firstBad]} at pixel ({firstBad % width}, {firstBad / width})";
        if (!(peak > 0) || !(sum > 0)) return $"peak {peak:G4}, sum {sum:G4}";
        int px = at % width, py = at / width;
        if (Math.Abs(px - (width - 1) / 2.0) > width / 4.0 || Math.Abs(py - (height - 1) / 2.0) > height / 4.0)
            return $"its peak lies at ({px}, {py}), far from the centre";
        if (min < -0.2 * peak) return $"a negative value {min:G4} against a peak of {peak:G4}";
        if (abs > 4 * sum) return $"positive and negative values cancel (Σ|v| = {abs:G4}, Σv = {sum:G4})";
        return null;
    }
}
