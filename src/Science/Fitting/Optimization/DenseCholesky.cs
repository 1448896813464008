namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>Cholesky factorisation of small dense symmetric matrices (row-major, in place).</summary>
internal static class DenseCholesky
{
    /// <summary>
    /// Overwrites the lower triangle of the n×n matrix <paramref name="a"/> with L, A = L Lᵀ
    /// (the upper triangle is not read). Returns false, leaving <paramref name="a"/> partly
    /// overwritten, when a pivot is not above <paramref name="minPivot"/> (A not positive
    /// definite to that margin).
    /// </summary>
    public static bool FactorLower(Span<double> a, int n, double minPivot)
    {
        for (int k = 0; k < n; k++)
        {
            double s = a[k * n + k];
            for (int p = 0; p < k; p++) s -= a[k * n + p] * a[k * n + p];
            if (!(s > minPivot)) return false;
            double lkk = Math.Sqrt(s);
            a[k * n + k] = lkk;
            for (int i = k + 1; i < n; i++)
            {
                double t = a[i * n + k];
                for (int p = 0; p < k; p++) t -= a[i * n + p] * a[k * n + p];
                a[i * n + k] = t / lkk;
            }
        }
        return true;
    }

    /// <summary>Solves (L Lᵀ) x = b in place for a factor from <see cref="FactorLower"/>.</summary>
    public static void SolveFactored(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = 0; i < n; i++)
        {
            double t = b[i];
            for (int p = 0; p < i; p++) t -= l[i * n + p] * b[p];
            b[i] = t / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double t = b[i];
            for (int p = i + 1; p < n; p++) t -= l[p * n + i] * b[p];
            b[i] = t / l[i * n + i];
        }
    }
}
