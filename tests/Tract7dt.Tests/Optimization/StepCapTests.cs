using Tract7dt.Science.Fitting.Optimization;
using Xunit;

namespace Tract7dt.Tests.Optimization;

/// <summary>Our per-parameter max-step cap (a runaway parameter must not throttle the others).</summary>
public class StepCapTests
{
    [Fact]
    public void Cap_scales_only_the_offending_group()
    {
        // group −1 (sky) never scaled; group 0 has a component at 5× its max step; group 1 is fine.
        double[] x = { 7.0, 5.0, -0.05, 2.0, -0.9, 0.05 };
        double[] m = { double.PositiveInfinity, 1.0, 0.1, double.PositiveInfinity, 1.0, 0.1 };
        int[] g = { -1, 0, 0, 0, 1, 1 };
        Assert.True(StepCandidates.CapPerGroup(x, m, g));
        Assert.Equal(new[] { 7.0, 1.0, -0.01, 0.4, -0.9, 0.05 }, x, new ToleranceComparer(1e-12));
        Assert.False(StepCandidates.CapPerGroup(new double[] { 0.5 }, new[] { 1.0 }, new[] { 0 }));
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double v) => 0;
    }

    /// <summary>
    /// Four independent linear parameters of four "sources" (disjoint pixel supports); parameter 0
    /// needs a step of ~100 but may move at most 1 per step. The reference rule would shrink the
    /// whole step to 1/100 and the others would barely move; with the per-source cap they reach
    /// their least-squares values in one step while parameter 0 moves exactly its max step.
    /// </summary>
    [Fact]
    public void One_limited_parameter_does_not_slow_the_others()
    {
        const int w = 40, h = 10, np = 4;
        var prob = new LinearProblem(w, h, np, seed: 3);
        for (int j = 0; j < np; j++)
            for (int i = 0; i < w * h; i++)
                prob.Basis[j][i] = (i % w) / 10 == j ? 1f : 0f;   // parameter j owns columns 10j..10j+9
        var truth = new[] { 100.0, 2.0, -3.0, 0.5 };
        for (int i = 0; i < w * h; i++) prob.D[i] = (float)truth[(i % w) / 10];
        prob.MaxSteps = new[] { 1.0, double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity };

        var opt = new ConstrainedOptimizer();
        var step = opt.Step(prob);
        Assert.Equal(StepStatus.Improved, step.Status);
        Assert.Equal(1.0, prob.P[0], 9);
        for (int j = 1; j < np; j++) Assert.Equal(truth[j], prob.P[j], 4);
        // The reported direction is the solver's, uncapped.
        Assert.Equal(100.0, step.Direction[0], 3);
    }
}
