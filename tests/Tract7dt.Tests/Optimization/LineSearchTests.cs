using Tract7dt.Science.Fitting.Optimization;
using Xunit;

namespace Tract7dt.Tests.Optimization;

/// <summary>
/// Our line search (start at the Gauss–Newton step α = 1, up while lnP improves, down only
/// when α = 1 gains nothing) against the reference's full upward walk over 2⁻¹⁰ … 2.
/// </summary>
public class LineSearchTests
{
    [Fact]
    public void The_walk_starts_at_the_unit_multiplier()
    {
        Assert.Equal(1.0, StepCandidates.Alphas[StepCandidates.UnitIndex]);
    }

    private static BlobProblem Blobs(double offset, double widthStart)
    {
        var p = new BlobProblem(48, 48, 2, sigma: 1.5) { FitWidth = true };
        p.AddSource(15.0, 16.0, 900, 1200);
        p.AddSource(30.3, 29.6, 2500, 1800);
        p.Simulate(5, 1.0, 1.5);
        p.Sigma = widthStart;
        p.Src[0][0] += offset;
        p.Src[1][1] -= offset;
        return p;
    }

    [Fact]
    public void A_good_Gauss_Newton_step_is_taken_with_a_few_renders_and_gains_as_much_as_the_reference()
    {
        var ours = Blobs(0.3, 1.6);
        var reference = Blobs(0.3, 1.6);
        var a = new ConstrainedOptimizer();
        var b = new ConstrainedOptimizer { ReferenceLineSearch = true };
        var sa = a.Step(ours);
        var sb = b.Step(reference);
        Assert.Equal(StepStatus.Improved, sa.Status);
        Assert.Equal(sb.Direction, sa.Direction); // the same linear problem
        Assert.True(sa.DLnP >= 0.99 * sb.DLnP, $"ours {sa.DLnP} vs reference {sb.DLnP}");
        Assert.True(a.CandidateCounts.Evaluated <= 3, $"{a.CandidateCounts.Evaluated} candidates rendered");
        Assert.True(b.CandidateCounts.Evaluated >= 10, $"reference rendered {b.CandidateCounts.Evaluated}");
    }

    [Fact]
    public void When_the_unit_step_overshoots_the_walk_goes_down_until_lnP_improves()
    {
        // Starts far from the truth (offsets of 1–2.5 px, widths of 0.6–4 px for a 1.5-px
        // blob): wherever the reference accepts a multiplier below 1 the linearised step
        // overshot; ours must then walk down too and gain.
        int cases = 0;
        foreach (double offset in new[] { 1.0, 1.5, 2.0, 2.5 })
            foreach (double width in new[] { 0.6, 0.8, 3.0, 4.0 })
            {
                var reference = Blobs(offset, width);
                var sb = new ConstrainedOptimizer { ReferenceLineSearch = true }.Step(reference);
                if (sb.Status != StepStatus.Improved || sb.Alpha >= 1.0) continue;
                cases++;
                var sa = new ConstrainedOptimizer().Step(Blobs(offset, width));
                Assert.Equal(StepStatus.Improved, sa.Status);
                Assert.True(sa.Alpha < 1.0, $"offset {offset}, width {width}: alpha {sa.Alpha}");
                Assert.True(sa.DLnP > 0.5 * sb.DLnP, $"offset {offset}, width {width}: ours {sa.DLnP} vs reference {sb.DLnP}");
            }
        Assert.True(cases > 0, "no start made the Gauss-Newton step overshoot");
    }

    [Fact]
    public void Both_searches_fit_to_the_same_parameters()
    {
        var ours = Blobs(0.4, 2.2);
        var reference = Blobs(0.4, 2.2);
        var a = new ConstrainedOptimizer();
        var b = new ConstrainedOptimizer { ReferenceLineSearch = true };
        for (int i = 0; i < 50; i++) if (a.Step(ours).DLnP < 1e-6) break;
        for (int i = 0; i < 50; i++) if (b.Step(reference).DLnP < 1e-6) break;
        var pa = new double[ours.ParameterCount];
        var pb = new double[reference.ParameterCount];
        ours.GetParameters(pa);
        reference.GetParameters(pb);
        for (int j = 0; j < pa.Length; j++)
            Assert.True(Math.Abs(pa[j] - pb[j]) <= 1e-4 * Math.Max(1, Math.Abs(pb[j])), $"{ours.ParameterName(j)}: {pa[j]} vs {pb[j]}");
    }
}
