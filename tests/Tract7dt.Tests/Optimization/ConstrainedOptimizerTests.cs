using MathNet.Numerics.LinearAlgebra;
using Tract7dt.Science.Fitting.Optimization;
using Xunit;

namespace Tract7dt.Tests.Optimization;

public class ConstrainedOptimizerTests
{
    /// <summary>
    /// One Gauss–Newton step solves a linear problem up to LSQR's stopping rule
    /// (atol = btol = 1e-6 on a cond ≈ 3 system) and the f32 model (6e-8): 1e-5 relative.
    /// </summary>
    private const double LinearStepRelTol = 1e-5;

    private static double[] Fit(BlobProblem p, ConstrainedOptimizer opt, int maxSteps, out int steps)
    {
        steps = 0;
        for (int i = 0; i < maxSteps; i++)
        {
            steps++;
            if (opt.Step(p).DLnP < 1e-6) break;
        }
        var v = new double[p.ParameterCount];
        p.GetParameters(v);
        return v;
    }

    [Fact]
    public void Linear_problem_is_solved_in_one_step()
    {
        var p = new LinearProblem(20, 15, 6, seed: 11);
        var a = Matrix<double>.Build.Dense(300, 6, (i, j) => (double)p.Basis[j][i] * p.E[i]);
        var b = Vector<double>.Build.Dense(300, i => (double)p.D[i] * p.E[i]);
        var expected = a.QR().Solve(b);

        var opt = new ConstrainedOptimizer();
        var step = opt.Step(p);
        Assert.Equal(StepStatus.Improved, step.Status);
        Assert.Equal(1.0, step.Alpha);
        double err = (Vector<double>.Build.DenseOfArray(p.P) - expected).L2Norm() / expected.L2Norm();
        Assert.True(err < LinearStepRelTol, $"relative error {err:E2}");
        // dlnp equals the analytic gain ½(‖b‖² − ‖b − A p‖²).
        double gain = 0.5 * (b.DotProduct(b) - (b - a * expected).DotProduct(b - a * expected));
        Assert.Equal(gain, step.DLnP, gain * 1e-5);
        // At the optimum no multiplier improves by more than f32 round-off of lnP.
        var second = opt.Step(p);
        Assert.True(second.DLnP < 1e-3, $"second dlnp {second.DLnP}");
    }

    /// <summary>
    /// Gaussian priors are rows of the least-squares system (docs/fitting.md §18.7): one step on a
    /// linear problem lands on the closed-form posterior mode, lnP carries −½((p − μ)/σ)², and the
    /// variance of a parameter with a prior is 1/(c_j + 1/σ²). Checked with the reference's column
    /// scaling and with our block preconditioner (the fused product and the plain ones).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gaussian_priors_give_the_closed_form_posterior_mode(bool referencePreconditioning)
    {
        var p = new LinearProblem(20, 15, 6, seed: 11);
        // Tight enough to move the answer far from the likelihood's own (σ_p ~ the data's σ of p).
        p.Priors = [(1, 0.7, 0.05), (4, -0.3, 0.02), (4, 0.1, 0.05)];
        int n = 300, np = 6, k = p.Priors.Length;
        var a = Matrix<double>.Build.Dense(n + k, np, (i, j) =>
            i < n ? (double)p.Basis[j][i] * p.E[i] : (p.Priors[i - n].Parameter == j ? 1.0 / p.Priors[i - n].Sigma : 0.0));
        var b = Vector<double>.Build.Dense(n + k, i =>
            i < n ? (double)p.D[i] * p.E[i] : p.Priors[i - n].Mean / p.Priors[i - n].Sigma);
        var expected = a.QR().Solve(b);
        var free = Matrix<double>.Build.Dense(n, np, (i, j) => (double)p.Basis[j][i] * p.E[i])
            .QR().Solve(Vector<double>.Build.Dense(n, i => (double)p.D[i] * p.E[i]));
        Assert.True(Math.Abs(free[4] - expected[4]) > 0.05, "the priors must move the answer for this test to mean anything");

        var opt = new ConstrainedOptimizer { ReferencePreconditioning = referencePreconditioning };
        var step = opt.Step(p);
        Assert.Equal(StepStatus.Improved, step.Status);
        double err = (Vector<double>.Build.DenseOfArray(p.P) - expected).L2Norm() / expected.L2Norm();
        Assert.True(err < LinearStepRelTol, $"relative error {err:E2}");
        double lnP = -0.5 * (b - a * expected).DotProduct(b - a * expected);
        Assert.Equal(lnP, step.LogProb, Math.Abs(lnP) * 1e-5);

        var diag = new double[np];
        opt.Variances(p, diag, [], []);
        for (int j = 0; j < np; j++)
        {
            double c = a.Column(j).DotProduct(a.Column(j));
            Assert.Equal(1.0 / c, diag[j], 1e-6 / c); // the system stores E·∂M/∂p in f32
        }
    }

    [Fact]
    public void Cached_log_prob_equals_a_fresh_evaluation()
    {
        var p = Blend(separation: 5, seed: 3);
        var opt = new ConstrainedOptimizer();
        var step = opt.Step(p);
        Assert.Equal(new ConstrainedOptimizer().LogProb(p), step.LogProb);
    }

    private static BlobProblem Blend(double separation, int seed, double noise = 1.0)
    {
        var p = new BlobProblem(40, 36, 2, sigma: 1.5);
        p.AddSource(18.0, 18.2, 800, 1200);
        p.AddSource(18.0 + separation, 17.6, 600, 500);
        p.Simulate(seed, noise, noise);
        // Start away from the truth.
        p.Src[0][0] += 0.4; p.Src[0][1] -= 0.3; p.Src[0][2] *= 1.2; p.Src[0][3] *= 0.85;
        p.Src[1][0] -= 0.3; p.Src[1][1] += 0.2; p.Src[1][2] *= 0.9; p.Src[1][3] *= 1.1;
        return p;
    }

    [Fact]
    public void Blend_fit_converges_and_covariance_error_exceeds_plain_error()
    {
        var p = Blend(separation: 2.0, seed: 5);
        var opt = new ConstrainedOptimizer();
        var v = Fit(p, opt, 50, out int steps);
        Assert.True(steps < 50, "did not converge");
        // Truth positions within 5σ of a generous 0.1 px (S/N ~ 100 sources, 1.5 px PSF).
        Assert.InRange(v[2], 17.9, 18.1);
        Assert.InRange(v[6], 19.9, 20.1);
        double chi2 = -2 * opt.LogProb(p) / (2 * 40 * 36);
        Assert.InRange(chi2, 0.9, 1.1);

        int[] fluxCols = [4, 5, 8, 9];
        var diag = new double[p.ParameterCount];
        var marg = new double[4];
        opt.Variances(p, diag, fluxCols, marg);
        for (int k = 0; k < 4; k++)
        {
            // Plain error = (Σ E²U²)^(−1/2) with U the unit-flux blob: compute it directly.
            var s = p.Src[k / 2];
            double sum = 0;
            for (int y = 0; y < p.H; y++)
                for (int x = 0; x < p.W; x++)
                {
                    double dx = x - s[0], dy = y - s[1], var2 = p.Sigma * p.Sigma;
                    double u = (float)(Math.Exp(-(dx * dx + dy * dy) / (2 * var2)) / (2 * Math.PI * var2));
                    sum += u * u;
                }
            Assert.Equal(1 / sum, diag[fluxCols[k]], 1e-6 / sum);
            Assert.True(marg[k] > 1.5 * diag[fluxCols[k]], $"flux {k}: marginal {marg[k]} vs plain {diag[fluxCols[k]]}");
        }
    }

    [Fact]
    public void Isolated_source_covariance_error_is_close_to_plain_error()
    {
        var p = new BlobProblem(40, 40, 1, sigma: 1.5);
        p.AddSource(20.3, 19.8, 1000);
        p.Simulate(9, 1.0);
        var opt = new ConstrainedOptimizer();
        var diag = new double[p.ParameterCount];
        var marg = new double[1];
        opt.Variances(p, diag, [3], marg);
        double ratio = Math.Sqrt(marg[0] / diag[3]);
        // Only the sky couples (ΣU)²/(N·ΣU²) ≈ 4πσ²/N ≈ 1.8 %, so the error grows by ≈ 0.9 %.
        Assert.InRange(ratio, 1.0, 1.02);
    }

    [Fact]
    public void Parameter_stuck_on_bound_is_frozen_and_others_keep_improving()
    {
        // True width 1.5 px; the width may not go below 1.8 px and starts there, so the
        // data pull it outward. The reference would produce no candidate (dlnp = 0, "converged").
        var p = new BlobProblem(40, 40, 1, sigma: 1.5) { FitWidth = true };
        p.AddSource(20.0, 20.0, 1000);
        p.Simulate(21, 1.0);
        p.Sigma = 1.8;
        p.WidthLower = Math.Log(1.8);
        p.Src[0][0] += 0.3; p.Src[0][2] = 600;

        var x0 = new double[p.ParameterCount];
        p.GetParameters(x0);
        var opt = new ConstrainedOptimizer();
        var first = opt.Step(p);
        Assert.Equal(1, first.FrozenOnBound);
        Assert.True(first.DLnP > 100, $"dlnp {first.DLnP}");
        Assert.Equal(0.0, first.Direction[^1]);
        var lower = new double[p.ParameterCount];
        var upper = new double[p.ParameterCount];
        p.GetBounds(lower, upper);
        int steps = 1;
        while (steps < 30 && opt.Step(p).DLnP >= 1e-6) steps++;
        Assert.True(steps < 30);
        Assert.Equal(Math.Log(1.8), Math.Log(p.Sigma), 12);
        Assert.InRange(p.Src[0][0], 19.95, 20.05);
        // The flux left its start (600) for the best fit of the too-wide profile, which
        // with a free sky lies above the true 1000 (measured 1188).
        Assert.InRange(p.Src[0][2], 1000, 1400);
    }

    [Fact]
    public void Zero_weight_pixels_with_nan_data_are_absent()
    {
        var p = Blend(separation: 5, seed: 8);
        var clean = Blend(separation: 5, seed: 8);
        for (int i = 100; i < 160; i++)
        {
            p.DataImg[0][i] = float.NaN;
            p.Err[0][i] = 0f;
            clean.Err[0][i] = 0f;
        }
        var a = Fit(p, new ConstrainedOptimizer(), 40, out _);
        var b = Fit(clean, new ConstrainedOptimizer(), 40, out _);
        Assert.All(a, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(b, a);
    }

    [Fact]
    public void Non_finite_derivative_takes_no_step()
    {
        var p = Blend(separation: 5, seed: 8);
        p.PoisonDerivative = true;
        var before = new double[p.ParameterCount];
        p.GetParameters(before);
        var step = new ConstrainedOptimizer().Step(p);
        Assert.Equal(StepStatus.NonFiniteDerivatives, step.Status);
        Assert.Equal(0.0, step.DLnP);
        var after = new double[p.ParameterCount];
        p.GetParameters(after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void Source_without_pixels_gets_no_step_and_the_rest_fit()
    {
        var p = Blend(separation: 5, seed: 8);
        p.AddSource(-500, -500, 100, 100); // trailing parameters with no entries (reference: IndexError)
        var opt = new ConstrainedOptimizer();
        var v = Fit(p, opt, 40, out int steps);
        Assert.True(steps < 40);
        Assert.Equal([-500.0, -500.0, 100.0, 100.0], v[^4..]);
        Assert.InRange(v[2], 17.9, 18.1);
        var diag = new double[p.ParameterCount];
        var marg = new double[1];
        opt.Variances(p, diag, [p.ParameterCount - 1], marg);
        Assert.Equal(double.PositiveInfinity, diag[^1]);
        Assert.True(double.IsNaN(marg[0]));
    }
}
