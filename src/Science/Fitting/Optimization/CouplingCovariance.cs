namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>
/// Covariance-aware variance of one parameter (used for fluxes): the marginal variance
/// over the parameters that couple to it directly.
/// </summary>
/// <remarks>
/// <para>What is inverted. Let F = JᵀWJ be the Fisher matrix of all free parameters
/// (F_jk = Σ_pixels E²·∂M/∂p_j·∂M/∂p_k). For parameter f, the coupling set S is f plus
/// every parameter whose derivative patches overlap f's on some image, i.e. every j with
/// F_fj ≠ 0 structurally: for a source's flux in band b these are its own position and
/// shape (and Sérsic index), the sky of band b, and the flux, position and shape of every
/// neighbour whose rendered patch overlaps it in band b. We form the dense block F_SS
/// (position/shape entries sum over every band, as in F), invert it by Cholesky and
/// return [F_SS⁻¹]_ff.</para>
/// <para>Why this block. [F_SS⁻¹]_ff is the variance of f marginalised over S with all
/// other parameters held fixed. Because S contains f, the Schur complement gives
/// [F_SS⁻¹]_ff ≥ 1/F_ff, the reference's conditional variance, with equality when f
/// couples to nothing; it grows with the overlap of neighbours and with the
/// flux–shape/position degeneracy. Parameters that couple only through a neighbour
/// (second-order neighbours) are held fixed, which keeps each block small (≈ 7–40
/// parameters) and the cost per source independent of the patch size; the full
/// marginal [F⁻¹]_ff would need the whole (thousands²) matrix.</para>
/// <para>Numerics: F_SS is first scaled to unit diagonal (a correlation matrix), so the
/// Cholesky factorisation sees O(1) numbers whatever the parameter units. A block that is
/// not positive definite (exact degeneracy, e.g. two identical sources) gives NaN.</para>
/// </remarks>
internal sealed class CouplingCovariance
{
    private readonly JacobianSystem _sys;
    private readonly Dictionary<long, double> _fisher = new();
    private readonly List<int> _set = new();

    // Per image: the (column, block) pairs that touch it, for the overlap search.
    private readonly List<(int Column, JacobianSystem.Block Block)>[] _byImage;
    private readonly bool[] _inSet;

    public CouplingCovariance(JacobianSystem system, int imageCount)
    {
        _sys = system;
        _byImage = new List<(int, JacobianSystem.Block)>[imageCount];
        for (int n = 0; n < imageCount; n++) _byImage[n] = new();
        for (int j = 0; j < system.Columns; j++)
            foreach (var b in system.ColumnBlocks(j))
                _byImage[b.Image].Add((j, b));
        _inSet = new bool[system.Columns];
    }

    /// <summary>[F_SS⁻¹]_ff for f = <paramref name="column"/>; NaN if f has no derivatives or F_SS is singular.</summary>
    public double MarginalVariance(int column)
    {
        var norms = _sys.ColumnNormSquared;
        if (!(norms[column] > 0)) return double.NaN;
        _set.Clear();
        _set.Add(column);
        _inSet[column] = true;
        foreach (var fb in _sys.ColumnBlocks(column))
        {
            foreach (var (j, b) in _byImage[fb.Image])
            {
                if (_inSet[j] || !(norms[j] > 0)) continue;
                if (fb.X0 < b.X0 + b.Width && b.X0 < fb.X0 + fb.Width && fb.Y0 < b.Y0 + b.Height && b.Y0 < fb.Y0 + fb.Height)
                {
                    _inSet[j] = true;
                    _set.Add(j);
                }
            }
        }
        foreach (int j in _set) _inSet[j] = false;
        _set.Sort(1, _set.Count - 1, Comparer<int>.Default);
        int m = _set.Count;
        var a = new double[m * m];
        var d = new double[m];
        for (int r = 0; r < m; r++) d[r] = Math.Sqrt(norms[_set[r]]);
        for (int r = 0; r < m; r++)
        {
            a[r * m + r] = 1.0;
            for (int c = 0; c < r; c++)
            {
                double v = Fisher(_set[r], _set[c]) / (d[r] * d[c]);
                a[r * m + c] = v;
                a[c * m + r] = v;
            }
        }
        // Cholesky A = L Lᵀ (lower, in place); [A⁻¹]_00 = ‖L⁻¹ e_0‖².
        if (!DenseCholesky.FactorLower(a, m, 1e-12)) return double.NaN;
        // Forward substitution L z = e_0.
        var z = d; // reuse: d no longer needed after scaling except d[0]
        double d0 = d[0];
        double sum = 0;
        for (int i = 0; i < m; i++)
        {
            double t = i == 0 ? 1.0 : 0.0;
            for (int p = 0; p < i; p++) t -= a[i * m + p] * z[p];
            z[i] = t / a[i * m + i];
            sum += z[i] * z[i];
        }
        return sum / (d0 * d0);
    }

    /// <summary>F_jk = Σ over overlapping blocks of the two columns' weighted values (f64).</summary>
    internal double Fisher(int j, int k)
    {
        if (j == k) return _sys.ColumnNormSquared[j];
        long key = j < k ? ((long)j << 32) | (uint)k : ((long)k << 32) | (uint)j;
        if (_fisher.TryGetValue(key, out double cached)) return cached;
        double s = _sys.Gram(j, k);
        _fisher[key] = s;
        return s;
    }
}
