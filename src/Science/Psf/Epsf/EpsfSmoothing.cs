namespace Tract7dt.Science.Psf.Epsf;

/// <summary>
/// The 5×5 smoothing kernels of photutils' EPSFBuilder and their convolution with
/// "reflect" borders (scipy.ndimage mode "reflect": <c>… c b a | a b c …</c>).
/// </summary>
internal static class EpsfSmoothingKernels
{
    // The tabulated values of a degree-4 (degree-2) 2-D polynomial least-squares fit to a
    // 5×5 array that is 1 at the centre and 0 elsewhere (docs/epsf.md §7.3 step 5). Rows = columns.
    private static readonly double[] Quartic =
    [
        +0.041632, -0.080816, 0.078368, -0.080816, +0.041632,
        -0.080816, -0.019592, 0.200816, -0.019592, -0.080816,
        +0.078368, +0.200816, 0.441632, +0.200816, +0.078368,
        -0.080816, -0.019592, 0.200816, -0.019592, -0.080816,
        +0.041632, -0.080816, 0.078368, -0.080816, +0.041632,
    ];

    private static readonly double[] Quadratic =
    [
        -0.07428311, 0.01142786, 0.03999952, 0.01142786, -0.07428311,
        +0.01142786, 0.09714283, 0.12571449, 0.09714283, +0.01142786,
        +0.03999952, 0.12571449, 0.15428215, 0.12571449, +0.03999952,
        +0.01142786, 0.09714283, 0.12571449, 0.09714283, +0.01142786,
        -0.07428311, 0.01142786, 0.03999952, 0.01142786, -0.07428311,
    ];

    /// <summary>The kernel for a smoothing choice, or null for none.</summary>
    public static double[]? For(EpsfSmoothing s) => s switch
    {
        EpsfSmoothing.Quartic => Quartic,
        EpsfSmoothing.Quadratic => Quadratic,
        _ => null,
    };

    /// <summary>
    /// <c>dst = K ⊛ src</c> on an n×n array with reflect borders. The kernels are symmetric,
    /// so convolution equals correlation. <paramref name="dst"/> must not alias <paramref name="src"/>.
    /// </summary>
    public static void Convolve(ReadOnlySpan<double> src, Span<double> dst, int n, ReadOnlySpan<double> kernel)
    {
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                double acc = 0;
                for (int q = 0; q < 5; q++)
                {
                    int row = Reflect(j + q - 2, n) * n;
                    for (int p = 0; p < 5; p++)
                        acc += kernel[q * 5 + p] * src[row + Reflect(i + p - 2, n)];
                }
                dst[j * n + i] = acc;
            }
    }

    /// <summary>Half-sample symmetric index: −1 → 0, −2 → 1, n → n−1, n+1 → n−2.</summary>
    private static int Reflect(int k, int n)
    {
        while (k < 0 || k >= n)
            k = k < 0 ? -k - 1 : 2 * n - k - 1;
        return k;
    }
}
