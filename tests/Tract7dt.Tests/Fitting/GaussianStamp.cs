namespace Tract7dt.Tests.Fitting;

/// <summary>A unit-sum circular Gaussian PSF stamp, centred on the stamp's middle pixel.</summary>
internal static class GaussianStamp
{
    public static float[] Make(int size, double sigma)
    {
        var s = new float[size * size];
        double sum = 0;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++)
            {
                double dx = i - size / 2, dy = j - size / 2;
                sum += s[j * size + i] = (float)Math.Exp(-0.5 * (dx * dx + dy * dy) / (sigma * sigma));
            }
        for (int k = 0; k < s.Length; k++) s[k] = (float)(s[k] / sum);
        return s;
    }
}
