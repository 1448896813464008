using MathNet.Numerics.LinearAlgebra;
using Tract7dt.Science.Fitting.Optimization;
using Xunit;

namespace Tract7dt.Tests.Optimization;

public class LsqrTests
{
    /// <summary>
    /// LSQR stops when ‖Aᵀr‖/(‖A‖‖r‖) ≤ atol = 1e-6 (or ‖r‖ ≤ btol·‖b‖ + …); for the
    /// well-conditioned (cond ≲ 10) matrices below this bounds the relative solution error
    /// by ~cond²·1e-6 ≈ 1e-4 in the worst case; in practice it is far smaller.
    /// </summary>
    private const double DefaultTolRelError = 1e-4;

    /// <summary>With atol = btol = 1e-14 LSQR must reach the dense QR solution to round-off (times cond).</summary>
    private const double TightTolRelError = 1e-9;

    private sealed class Dense(Matrix<double> a) : ILinearOperator
    {
        public int Rows => a.RowCount;
        public int Columns => a.ColumnCount;
        public void MultiplyAdd(ReadOnlySpan<double> v, Span<double> u)
        {
            for (int i = 0; i < Rows; i++) { double s = 0; for (int j = 0; j < Columns; j++) s += a[i, j] * v[j]; u[i] += s; }
        }
        public void MultiplyTransposeAdd(ReadOnlySpan<double> u, Span<double> x)
        {
            for (int j = 0; j < Columns; j++) { double s = 0; for (int i = 0; i < Rows; i++) s += a[i, j] * u[i]; x[j] += s; }
        }
    }

    private static (Matrix<double> A, Vector<double> B) RandomProblem(int m, int n, int seed)
    {
        var rng = new Random(seed);
        var a = Matrix<double>.Build.Dense(m, n, (_, _) => rng.NextDouble() * 2 - 1);
        for (int j = 0; j < n; j++) a[j % m, j] += 3.0; // diagonal dominance: well conditioned
        var b = Vector<double>.Build.Dense(m, _ => rng.NextDouble() * 2 - 1);
        return (a, b);
    }

    [Theory]
    [InlineData(40, 5, 1)]
    [InlineData(200, 20, 2)]
    [InlineData(500, 60, 3)]
    [InlineData(30, 30, 4)]
    public void Matches_dense_least_squares(int m, int n, int seed)
    {
        var (a, b) = RandomProblem(m, n, seed);
        var expected = a.QR().Solve(b);
        foreach (var (lsqr, tol) in new[] { (new Lsqr(), DefaultTolRelError), (new Lsqr { ATol = 1e-14, BTol = 1e-14 }, TightTolRelError) })
        {
            var x = new double[n];
            lsqr.Solve(new Dense(a), b.ToArray(), x, 2 * n);
            double err = (Vector<double>.Build.DenseOfArray(x) - expected).L2Norm() / expected.L2Norm();
            Assert.True(err < tol, $"rel error {err:E2} (tol {tol:E0}), {lsqr.Iterations} its, stop {lsqr.Stop}");
        }
    }

    [Fact]
    public void Zero_rhs_gives_zero_solution()
    {
        var (a, _) = RandomProblem(10, 3, 5);
        var x = new double[] { 7, 7, 7 };
        var lsqr = new Lsqr();
        lsqr.Solve(new Dense(a), new double[10], x, 6);
        Assert.Equal(new double[3], x);
        Assert.Equal(LsqrStop.ZeroSolution, lsqr.Stop);
        Assert.Equal(0, lsqr.Iterations);
    }

    [Fact]
    public void Iteration_limit_is_honoured()
    {
        var (a, b) = RandomProblem(100, 30, 6);
        var lsqr = new Lsqr { ATol = 0, BTol = 0, ConLim = 0 };
        lsqr.Solve(new Dense(a), b.ToArray(), new double[30], 3);
        Assert.Equal(3, lsqr.Iterations);
        Assert.Equal(LsqrStop.IterationLimit, lsqr.Stop);
    }

    [Theory]
    [InlineData(3.0, 4.0)]
    [InlineData(-3.0, 4.0)]
    [InlineData(4.0, -3.0)]
    [InlineData(0.0, -2.0)]
    [InlineData(-2.0, 0.0)]
    public void SymOrtho_rotates_b_to_zero(double a, double b)
    {
        var (c, s, r) = Lsqr.SymOrtho(a, b);
        Assert.Equal(Math.Sqrt(a * a + b * b), r, 12);
        Assert.Equal(0.0, -s * a + c * b, 12);
        Assert.Equal(r, c * a + s * b, 12);
    }
}

public class StepCandidateTests
{
    private static readonly double[] Inf = [double.PositiveInfinity];
    private static readonly double[] NegInf = [double.NegativeInfinity];

    [Fact]
    public void Unlimited_step_tries_all_thirteen_multipliers()
    {
        var list = StepCandidates.List([1.0], [0.3], NegInf, Inf, Inf);
        Assert.Equal(13, list.Count);
        Assert.Equal(StepCandidates.Alphas.ToArray(), list.Select(c => c.Effective).ToArray());
    }

    [Fact]
    public void Max_step_caps_alpha_and_ends_the_list()
    {
        // |X| = 2, max step 1: α = 1/2 still fits (α|X| = 1 is not > 1); α = 1 is cut to 1/2 and ends the list.
        var list = StepCandidates.List([0.0], [2.0], NegInf, Inf, [1.0]);
        Assert.Equal(11, list.Count);
        Assert.Equal((1.0, 0.5), list[^1]);
        Assert.Equal(0.5, list[^2].Effective);
    }

    [Fact]
    public void Max_step_of_one_parameter_limits_the_whole_vector()
    {
        // Two parameters; only the second has a max step (0.1) and moves 0.4 per unit α.
        var list = StepCandidates.List([0.0, 0.0], [10.0, 0.4], [double.NegativeInfinity, double.NegativeInfinity],
            [double.PositiveInfinity, double.PositiveInfinity], [double.PositiveInfinity, 0.1]);
        Assert.Equal(0.25, list[^1].Effective, 15);
        Assert.Equal(0.5, list[^1].Requested);
        var cand = new double[2];
        StepCandidates.Candidate(0.25, [0.0, 0.0], [10.0, 0.4], [double.NegativeInfinity, double.NegativeInfinity],
            [double.PositiveInfinity, double.PositiveInfinity], cand);
        Assert.Equal(2.5, cand[0], 15);
        Assert.Equal(0.1, cand[1], 15);
    }

    [Fact]
    public void Bound_shrinks_alpha_but_does_not_end_the_list()
    {
        // p0 = 0, X = 1, upper bound 0.3: α ≥ 0.5 all become 0.3 and keep coming.
        var list = StepCandidates.List([0.0], [1.0], NegInf, [0.3], Inf);
        Assert.Equal(13, list.Count);
        Assert.Equal(0.25, list[8].Effective);
        for (int k = 9; k < 13; k++) Assert.Equal(0.3, list[k].Effective, 15);
    }

    [Fact]
    public void Parameter_on_bound_pointing_outward_gives_no_candidate_in_the_reference_rule()
    {
        var list = StepCandidates.List([0.0, 5.0], [-1.0, 2.0], [0.0, double.NegativeInfinity],
            [double.PositiveInfinity, double.PositiveInfinity], [double.PositiveInfinity, double.PositiveInfinity]);
        Assert.Empty(list);
        Assert.True(StepCandidates.IsStuck(0.0, -1.0, 0.0, double.PositiveInfinity));
        Assert.False(StepCandidates.IsStuck(0.0, +1.0, 0.0, double.PositiveInfinity));
        Assert.True(StepCandidates.IsStuck(1.0 - 1e-12, 1.0, double.NegativeInfinity, 1.0));
        Assert.False(StepCandidates.IsStuck(0.5, 1.0, double.NegativeInfinity, 1.0));
    }
}
