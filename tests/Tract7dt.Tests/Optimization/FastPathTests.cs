using MathNet.Numerics.LinearAlgebra;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Optimization;
using Xunit;

namespace Tract7dt.Tests.Optimization;

/// <summary>
/// The optimizer's fast paths against plain references: the one-pass banded product of
/// <see cref="JacobianSystem"/> against a dense matrix built straight from the
/// rules of docs/fitting.md §18.2, block trimming, LSQR on the banded system against dense least squares,
/// and the line search's reuse of lnP for repeated candidates against a full walk (docs/fitting.md §18.5).
/// </summary>
public class FastPathTests
{
    /// <summary>
    /// Products of ≤ a few hundred f64 terms of O(1) size: rounding ~ terms × 2⁻⁵³ ≈ 1e-13
    /// of the largest |term|; the one-pass and dense orders differ only by that.
    /// </summary>
    private const double ProductRelTol = 1e-12;

    /// <summary>LSQR with atol = btol = 1e-14 on a well-conditioned system reaches the QR solution to ~cond·1e-14.</summary>
    private const double TightLsqrRelTol = 1e-9;

    /// <summary>Geometry and derivative patches only: enough for <see cref="JacobianSystem.Build"/>.</summary>
    private sealed class PatchesOnly(int[] w, int[] h, float[][] e) : IFitProblem
    {
        public int ImageCount => w.Length;
        public int ImageWidth(int image) => w[image];
        public int ImageHeight(int image) => h[image];
        public ReadOnlySpan<float> Data(int image) => new float[w[image] * h[image]];
        public ReadOnlySpan<float> InverseError(int image) => e[image];
        public int ParameterCount => throw new NotSupportedException();
        public string ParameterName(int index) => throw new NotSupportedException();
        public void GetParameters(Span<double> values) => throw new NotSupportedException();
        public void SetParameters(ReadOnlySpan<double> values) => throw new NotSupportedException();
        public void GetBounds(Span<double> lower, Span<double> upper) => throw new NotSupportedException();
        public void GetMaxSteps(Span<double> maxSteps) => throw new NotSupportedException();
        public double LogPrior() => 0;
        public void RenderModel(int image, Span<float> model) => throw new NotSupportedException();
        public void GetDerivatives(List<DerivativePatch>[] perParameter) => throw new NotSupportedException();
    }

    /// <summary>
    /// Three images (one narrow, one 300 px wide so bands hold 13 rows, one wider than a
    /// band so each band is one row), E with zero rows/columns and zero pixels, a dense
    /// sky-like column, patches hanging over every edge, overlaps, a column with two
    /// patches on one image, a patch entirely on E = 0 and an empty column.
    /// </summary>
    private static (PatchesOnly Problem, List<DerivativePatch>[] Columns) Scene(int seed)
    {
        var rng = new Random(seed);
        int[] w = [37, 300, 4500], h = [23, 40, 3];
        var e = new float[3][];
        for (int n = 0; n < 3; n++)
        {
            e[n] = new float[w[n] * h[n]];
            for (int i = 0; i < e[n].Length; i++) e[n][i] = (float)(0.5 + rng.NextDouble());
        }
        for (int x = 0; x < w[0]; x++) { e[0][2 * w[0] + x] = 0; e[0][3 * w[0] + x] = 0; } // masked rows 2–3
        for (int y = 0; y < h[1]; y++) e[1][y * w[1] + 5] = 0;                               // masked column 5
        for (int i = 0; i < 200; i++) e[1][rng.Next(e[1].Length)] = 0;                       // scattered zeros

        var cols = new List<DerivativePatch>[9];
        for (int j = 0; j < cols.Length; j++) cols[j] = new();
        DerivativePatch Random(int n, int x0, int y0, int pw, int ph)
        {
            var v = new float[pw * ph];
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
            return new DerivativePatch(n, x0, y0, pw, ph, v);
        }
        // Column 0: sky of image 1 (ones, whole image).
        cols[0].Add(new DerivativePatch(1, 0, 0, w[1], h[1], Enumerable.Repeat(1f, w[1] * h[1]).ToArray()));
        // Columns 1–3: a "source" on all three images, overlapping edges.
        for (int j = 1; j <= 3; j++)
        {
            cols[j].Add(Random(0, -4 + j, -3, 12, 10));
            cols[j].Add(Random(1, 290 - j, 30, 15, 14));
            cols[j].Add(Random(2, 4490, -2, 20, 6));
        }
        // Column 4: two patches on image 1 that overlap each other (entries add).
        cols[4].Add(Random(1, 100, 5, 25, 25));
        cols[4].Add(Random(1, 110, 10, 25, 25));
        // Column 5: only on masked rows of image 0 → every value is 0: no block survives.
        cols[5].Add(Random(0, 3, 2, 10, 2));
        // Column 6: no patch at all. Column 7: entirely off image 2.
        cols[7].Add(Random(2, 5000, 0, 5, 3));
        // Column 8: tiny values next to large ones (the 1e-8 drop rule), across rows 1–20 of image 1.
        var t = Random(1, 50, 1, 30, 20);
        for (int i = 0; i < t.Values.Length; i += 3) t.Values[i] *= 1e-10f;
        cols[8].Add(t);
        return (new PatchesOnly(w, h, e), cols);
    }

    /// <summary>The scaled matrix of docs/fitting.md §18.2, dense, computed directly from the patches.</summary>
    private static Matrix<double> Dense(PatchesOnly p, List<DerivativePatch>[] cols)
    {
        int rows = 0;
        var off = new int[p.ImageCount];
        for (int n = 0; n < p.ImageCount; n++) { off[n] = rows; rows += p.ImageWidth(n) * p.ImageHeight(n); }
        var a = Matrix<double>.Build.Dense(rows, cols.Length);
        for (int j = 0; j < cols.Length; j++)
        {
            var vals = new List<(int Row, float Val)>();
            foreach (var d in cols[j])
            {
                int w = p.ImageWidth(d.Image), h = p.ImageHeight(d.Image);
                var e = p.InverseError(d.Image);
                for (int y = 0; y < d.Height; y++)
                    for (int x = 0; x < d.Width; x++)
                    {
                        int ix = d.X0 + x, iy = d.Y0 + y;
                        if (ix < 0 || iy < 0 || ix >= w || iy >= h) continue;
                        float val = d.Values[y * d.Width + x] * e[iy * w + ix];
                        if (val != 0) vals.Add((off[d.Image] + iy * w + ix, val));
                    }
            }
            double c = vals.Sum(v => (double)v.Val * v.Val), s = Math.Sqrt(c);
            foreach (var (row, val) in vals)
                if (Math.Abs(val / s) > JacobianSystem.DropThreshold) a[row, j] += val / s;
        }
        return a;
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, -0.37)]
    [InlineData(3, 1.5)]
    public void One_pass_product_matches_the_dense_matrix(int seed, double f)
    {
        var (p, cols) = Scene(seed);
        var sys = new JacobianSystem();
        sys.Build(p, cols);
        var a = Dense(p, cols);
        var rng = new Random(seed + 100);
        var v = Enumerable.Range(0, cols.Length).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var u = Enumerable.Range(0, sys.Rows).Select(_ => rng.NextDouble() * 2 - 1).ToArray();

        var uExp = a * Vector<double>.Build.DenseOfArray(v) + f * Vector<double>.Build.DenseOfArray(u);
        var atuExp = a.TransposeThisAndMultiply(uExp);
        var atu = new double[cols.Length];
        double uu = sys.ScaleMultiplyAddTranspose(f, v, u, atu);

        double uScale = uExp.AbsoluteMaximum();
        for (int i = 0; i < u.Length; i++) Assert.True(Math.Abs(u[i] - uExp[i]) <= ProductRelTol * uScale, $"u[{i}] {u[i]} vs {uExp[i]}");
        Assert.Equal(uExp.DotProduct(uExp), uu, uu * ProductRelTol);
        double aScale = atuExp.AbsoluteMaximum();
        for (int j = 0; j < cols.Length; j++) Assert.True(Math.Abs(atu[j] - atuExp[j]) <= ProductRelTol * aScale, $"Aᵀu[{j}] {atu[j]} vs {atuExp[j]}");
        Assert.Equal(0.0, atu[5]); // all-masked column
        Assert.Equal(0.0, atu[6]); // no patch
        Assert.Equal(0.0, atu[7]); // off image

        // The two-pass per-column products agree too (they share the stored blocks).
        var u2 = new double[sys.Rows];
        sys.MultiplyAdd(v, u2);
        var ax = a * Vector<double>.Build.DenseOfArray(v);
        for (int i = 0; i < u2.Length; i++) Assert.True(Math.Abs(u2[i] - ax[i]) <= ProductRelTol * uScale);
    }

    /// <summary>
    /// Shared arrays are weighted on the fly as Scale·(E·d) instead of (f32)(E·(f32)(Scale·d)):
    /// two f32 roundings apart, ~2⁻²³ of each entry, plus the kept sub-1e-8 entries.
    /// </summary>
    private const double SharedRelTol = 1e-6;

    [Theory]
    [InlineData(11, 0.0)]
    [InlineData(12, -0.6)]
    public void Shared_derivative_arrays_give_the_same_products(int seed, double f)
    {
        // Ten 41×30 images (odd width: padding must stay in the row), E with zeros; one shape
        // array (the "x" of a source) used on every image with a per-image scale, one unit
        // array used by ten per-image "flux" columns, and a private column; the shared patches
        // hang over the left edge and the bottom.
        const int nImg = 10, w = 41, h = 30;
        var rng = new Random(seed);
        var ws = Enumerable.Repeat(w, nImg).ToArray();
        var hs = Enumerable.Repeat(h, nImg).ToArray();
        var e = new float[nImg][];
        for (int n = 0; n < nImg; n++)
        {
            e[n] = new float[w * h];
            for (int i = 0; i < e[n].Length; i++) e[n][i] = rng.Next(10) == 0 ? 0f : (float)(0.5 + rng.NextDouble());
        }
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var shape = Values(13 * 9);
        var unit = Values(13 * 9);
        var cols = new List<DerivativePatch>[nImg + 2];
        for (int j = 0; j < cols.Length; j++) cols[j] = new();
        for (int n = 0; n < nImg; n++)
        {
            cols[0].Add(new DerivativePatch(n, -2, 24, 13, 9, shape, 100.0 + 37 * n));
            cols[1 + n].Add(new DerivativePatch(n, -2, 24, 13, 9, unit));
        }
        cols[nImg + 1].Add(new DerivativePatch(3, 20, 5, 15, 11, Values(15 * 11), 3.5));
        var p = new PatchesOnly(ws, hs, e);
        var sys = new JacobianSystem();
        sys.Build(p, cols);
        Assert.Equal(2 * nImg, sys.SharedBlockCount);

        // Dense reference: entries Scale·d·E / s_j in f64, s_j from the system's own norms.
        var a = Matrix<double>.Build.Dense(sys.Rows, cols.Length);
        for (int j = 0; j < cols.Length; j++)
        {
            double s = Math.Sqrt(sys.ColumnNormSquared[j]);
            foreach (var d in cols[j])
                for (int y = 0; y < d.Height; y++)
                    for (int x = 0; x < d.Width; x++)
                    {
                        int ix = d.X0 + x, iy = d.Y0 + y;
                        if (ix < 0 || iy < 0 || ix >= w || iy >= h) continue;
                        a[d.Image * w * h + iy * w + ix, j] += d.Scale * d.Values[y * d.Width + x] * e[d.Image][iy * w + ix] / s;
                    }
        }
        var v = Enumerable.Range(0, cols.Length).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var u = Enumerable.Range(0, sys.Rows).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var uExp = a * Vector<double>.Build.DenseOfArray(v) + f * Vector<double>.Build.DenseOfArray(u);
        var atuExp = a.TransposeThisAndMultiply(uExp);
        var atu = new double[cols.Length];
        double uu = sys.ScaleMultiplyAddTranspose(f, v, u, atu);

        double uScale = uExp.AbsoluteMaximum();
        for (int i = 0; i < u.Length; i++) Assert.True(Math.Abs(u[i] - uExp[i]) <= SharedRelTol * uScale, $"u[{i}] {u[i]} vs {uExp[i]}");
        Assert.Equal(uExp.DotProduct(uExp), uu, uu * SharedRelTol);
        double aScale = atuExp.AbsoluteMaximum();
        for (int j = 0; j < cols.Length; j++) Assert.True(Math.Abs(atu[j] - atuExp[j]) <= SharedRelTol * aScale, $"Aᵀu[{j}] {atu[j]} vs {atuExp[j]}");
    }

    [Fact]
    public void Blocks_are_trimmed_to_their_non_zero_values()
    {
        var (p, cols) = Scene(4);
        var sys = new JacobianSystem();
        sys.Build(p, cols);
        // Column 5 lay only on masked rows: no block. Column 7 was off the image: no block.
        Assert.Equal(0, sys.ColumnBlocks(5).Length);
        Assert.Equal(0, sys.ColumnBlocks(6).Length);
        Assert.Equal(0, sys.ColumnBlocks(7).Length);
        // Column 1's patch on image 0 covers rows −3..6 clipped to 0..6 and columns −3..8
        // clipped to 0..8; it is non-zero up to its edges, so only clipping applies.
        var b0 = sys.ColumnBlocks(1)[0];
        Assert.Equal((0, 0, 9, 7), (b0.X0, b0.Y0, b0.Width, b0.Height));
        // Every block's first and last row and column hold a non-zero value.
        for (int j = 0; j < 9; j++)
            foreach (var b in sys.ColumnBlocks(j))
            {
                var vals = sys.Values.Slice(b.ValueOffset, b.Width * b.Height).ToArray();
                bool Row(int r) { for (int c = 0; c < b.Width; c++) if (vals[r * b.Width + c] != 0) return true; return false; }
                bool Col(int c) { for (int r = 0; r < b.Height; r++) if (vals[r * b.Width + c] != 0) return true; return false; }
                Assert.True(Row(0) && Row(b.Height - 1) && Col(0) && Col(b.Width - 1), $"column {j} block at ({b.X0},{b.Y0}) not trimmed");
            }

        // A patch whose first rows are masked loses them.
        var e = new float[20 * 10];
        e.AsSpan(3 * 20).Fill(1f); // rows 0–2 weightless
        var q = new PatchesOnly([20], [10], [e]);
        var one = new List<DerivativePatch>[] { new() { new DerivativePatch(0, 2, 0, 5, 6, Enumerable.Repeat(2f, 30).ToArray()) } };
        sys.Build(q, one);
        var blk = sys.ColumnBlocks(0)[0];
        Assert.Equal((2, 3, 5, 3), (blk.X0, blk.Y0, blk.Width, blk.Height));
        Assert.Equal(15, sys.Values.Length);
        Assert.Equal(15 * 4.0, sys.ColumnNormSquared[0]);
    }

    [Fact]
    public void Lsqr_on_the_banded_system_matches_dense_least_squares()
    {
        var (p, cols) = Scene(5);
        // Drop the degenerate columns: dense QR needs full column rank.
        var used = new[] { 0, 1, 2, 3, 4, 8 };
        var sub = used.Select(j => cols[j]).ToArray();
        var sys = new JacobianSystem();
        sys.Build(p, sub);
        var a = Dense(p, sub);
        var rng = new Random(55);
        var b = Enumerable.Range(0, sys.Rows).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var expected = a.QR().Solve(Vector<double>.Build.DenseOfArray(b));
        var lsqr = new Lsqr { ATol = 1e-14, BTol = 1e-14 };
        var x = new double[sub.Length];
        lsqr.Solve(sys, b, x, 10 * sub.Length);
        double err = (Vector<double>.Build.DenseOfArray(x) - expected).L2Norm() / expected.L2Norm();
        Assert.True(err < TightLsqrRelTol, $"rel error {err:E2}, {lsqr.Iterations} its, stop {lsqr.Stop}");
    }

    /// <summary>Counts full-model evaluations (one per image render).</summary>
    private sealed class Counting(IFitProblem inner) : IFitProblem
    {
        public int Renders;
        public int ImageCount => inner.ImageCount;
        public int ImageWidth(int image) => inner.ImageWidth(image);
        public int ImageHeight(int image) => inner.ImageHeight(image);
        public ReadOnlySpan<float> Data(int image) => inner.Data(image);
        public ReadOnlySpan<float> InverseError(int image) => inner.InverseError(image);
        public int ParameterCount => inner.ParameterCount;
        public string ParameterName(int index) => inner.ParameterName(index);
        public void GetParameters(Span<double> values) => inner.GetParameters(values);
        public void SetParameters(ReadOnlySpan<double> values) => inner.SetParameters(values);
        public void GetBounds(Span<double> lower, Span<double> upper) => inner.GetBounds(lower, upper);
        public void GetMaxSteps(Span<double> maxSteps) => inner.GetMaxSteps(maxSteps);
        public double LogPrior() => inner.LogPrior();
        public void RenderModel(int image, Span<float> model) { Renders++; inner.RenderModel(image, model); }
        public void GetDerivatives(List<DerivativePatch>[] perParameter) => inner.GetDerivatives(perParameter);
    }

    [Fact]
    public void Repeated_candidates_are_not_rendered_and_the_step_is_the_specs()
    {
        // True width 1.5 px, start 2.0 px, lower bound 1.9 px: the step towards 1.5 hits the
        // bound at some α < 2, and every larger α gives the same clamped candidate.
        BlobProblem Make()
        {
            var p = new BlobProblem(32, 32, 2, sigma: 1.5) { FitWidth = true };
            p.AddSource(15.0, 16.0, 900, 1200);
            p.Simulate(31, 1.0, 2.0);
            p.Sigma = 2.0;
            p.WidthLower = Math.Log(1.9);
            p.Src[0][0] += 0.2;
            return p;
        }
        var problem = Make();
        var counting = new Counting(problem);
        int np = problem.ParameterCount;
        var p0 = new double[np];
        problem.GetParameters(p0);
        var opt = new ConstrainedOptimizer { ReferenceLineSearch = true };
        var step = opt.Step(counting);

        // Reference walk (docs/fitting.md §18.5) over the full candidate list, every candidate evaluated afresh.
        var lower = new double[np]; var upper = new double[np]; var maxStep = new double[np];
        var check = Make();
        check.GetBounds(lower, upper);
        check.GetMaxSteps(maxStep);
        var list = StepCandidates.List(p0, step.Direction, lower, upper, maxStep);
        Assert.True(list.Count >= 3);
        int distinct = list.Select(c => c.Effective).Distinct().Count();
        Assert.True(distinct < list.Count, "the scene must produce bound-clamped repeats");
        var eval = new ConstrainedOptimizer();
        check.SetParameters(p0);
        double lnP0 = eval.LogProb(check), best = lnP0, bestAlpha = 0;
        var cand = new double[np];
        foreach (var (_, eff) in list)
        {
            StepCandidates.Candidate(eff, p0, step.Direction, lower, upper, cand);
            check.SetParameters(cand);
            double l = eval.LogProb(check);
            if (!double.IsFinite(l) || l < best - 1) break;
            if (l > best) { best = l; bestAlpha = eff; }
        }
        Assert.Equal(StepStatus.Improved, step.Status);
        Assert.Equal(bestAlpha, step.Alpha);
        Assert.Equal(best - lnP0, step.DLnP);
        // One lnP0 plus one render per distinct candidate (and none for the repeats).
        Assert.Equal((1 + distinct) * problem.ImageCount, counting.Renders);
        Assert.Equal(list.Count - distinct, opt.CandidateCounts.Reused);
    }

    [Fact]
    public void WeightRow_matches_the_scalar_rule_for_all_lengths()
    {
        var rng = new Random(7);
        for (int n = 0; n <= 21; n++)
        {
            var src = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
            var e = Enumerable.Range(0, n).Select(i => i % 5 == 2 ? 0f : (float)rng.NextDouble()).ToArray();
            if (n > 2) src[2] = float.NaN; // under E = 0: absent, not an error
            var dst = new float[n];
            bool bad = false;
            double norm = VectorKernels.WeightRow(src, e, dst, ref bad);
            double expect = 0;
            for (int i = 0; i < n; i++)
            {
                float val = e[i] != 0 ? src[i] * e[i] : 0f;
                Assert.Equal(val, dst[i]);
                expect += (double)val * val;
            }
            Assert.False(bad);
            Assert.Equal(expect, norm, Math.Max(expect, 1) * ProductRelTol);
            for (int k = 0; k < n; k++)
            {
                if (e[k] == 0) continue;
                var s2 = (float[])src.Clone();
                s2[k] = k % 2 == 0 ? float.PositiveInfinity : float.NaN;
                bool bad2 = false;
                VectorKernels.WeightRow(s2, e, dst, ref bad2);
                Assert.True(bad2, $"length {n}, non-finite at {k} not flagged");
            }
        }
    }

    [Fact]
    public void ChiRow_matches_the_scalar_rule_for_all_lengths()
    {
        var rng = new Random(8);
        for (int n = 0; n <= 21; n++)
        {
            var d = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 10)).ToArray();
            var m = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 10)).ToArray();
            var e = Enumerable.Range(0, n).Select(i => i % 4 == 1 ? 0f : (float)rng.NextDouble()).ToArray();
            if (n > 1) d[1] = float.NaN; // under E = 0: absent
            var chi = new float[n];
            double sum = VectorKernels.ChiRow(d, e, m, chi), expect = 0;
            for (int i = 0; i < n; i++)
            {
                float c = e[i] != 0 ? (d[i] - m[i]) * e[i] : 0f;
                Assert.Equal(c, chi[i]);
                expect += (double)c * c;
            }
            Assert.Equal(expect, sum, Math.Max(expect, 1) * ProductRelTol);
            if (n > 2)
            {
                d[2] = float.NaN; // under a weight: the sum must say so
                Assert.True(double.IsNaN(VectorKernels.ChiRow(d, e, m, chi)));
            }
        }
    }

    [Fact]
    public void ZeroSmall_zeroes_up_to_and_including_the_limit_and_normalises_signed_zeros()
    {
        const float Lim = 0.25f;
        for (int n = 0; n <= 19; n++)
        {
            float[] pattern = [-0f, 0.25f, -0.25f, 0.2500001f, -1f, 3f, 0.1f, float.NaN];
            var a = Enumerable.Range(0, n).Select(i => pattern[i % pattern.Length]).ToArray();
            var b = (float[])a.Clone();
            VectorKernels.ZeroSmall(a, Lim);
            for (int i = 0; i < n; i++)
            {
                if (Math.Abs(b[i]) <= Lim) Assert.Equal(0, BitConverter.SingleToInt32Bits(a[i])); // +0 exactly
                else Assert.Equal(BitConverter.SingleToInt32Bits(b[i]), BitConverter.SingleToInt32Bits(a[i]));
            }
        }
    }
}
