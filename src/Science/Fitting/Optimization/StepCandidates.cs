using Tract7dt.Science.Fitting;

namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>
/// The candidate parameter vectors of one line search (docs/fitting.md §18.4): for each
/// step multiplier α in increasing order, shorten α so that no parameter moves by more
/// than its max step and none leaves its bounds, then clamp. Plus our fix #2: a
/// parameter that sits on a bound with its step pointing outward is frozen.
/// </summary>
public static class StepCandidates
{
    /// <summary>The reference's multipliers 2⁻¹⁰ … 2⁻¹, 1, √2, 2 (13 values).</summary>
    public static ReadOnlySpan<double> Alphas =>
    [
        1.0 / 1024, 1.0 / 512, 1.0 / 256, 1.0 / 128, 1.0 / 64, 1.0 / 32, 1.0 / 16, 1.0 / 8,
        1.0 / 4, 1.0 / 2, 1.0, 1.4142135623730951, 2.0,
    ];

    /// <summary>Index of α = 1 in <see cref="Alphas"/>, where the line search starts.</summary>
    public const int UnitIndex = 10;

    /// <summary>α below this produces no candidate (reference value).</summary>
    public const double MinAlpha = 1e-8;

    /// <summary>
    /// True when parameter i cannot move along <paramref name="x"/> at all: it is on (or
    /// within α = 1e-8 of) a bound and its step points outward. The reference would then
    /// force α to ~0 for the whole vector and stall the fit (fix #2); we freeze it instead.
    /// </summary>
    public static bool IsStuck(double p0, double x, double lower, double upper)
    {
        if (x < 0 && lower > double.NegativeInfinity) return (lower - p0) / x < MinAlpha;
        if (x > 0 && upper < double.PositiveInfinity) return (upper - p0) / x < MinAlpha;
        return false;
    }

    /// <summary>
    /// Computes candidate <paramref name="k"/>'s effective α for the reference rule:
    /// α shrunk by every max step (then the list ends: <paramref name="limited"/>) and by
    /// every bound, in parameter order, using the current α. Returns α (possibly below
    /// <see cref="MinAlpha"/>, meaning no candidate and the end of the list).
    /// </summary>
    public static double EffectiveAlpha(double alpha, ReadOnlySpan<double> p0, ReadOnlySpan<double> x,
        ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, ReadOnlySpan<double> maxStep, out bool limited)
    {
        limited = false;
        for (int i = 0; i < x.Length; i++)
        {
            double ax = Math.Abs(x[i]);
            if (maxStep[i] < double.PositiveInfinity && alpha * ax > maxStep[i])
            {
                alpha = maxStep[i] / ax;
                limited = true;
            }
        }
        for (int i = 0; i < x.Length; i++)
        {
            double t = p0[i] + alpha * x[i];
            if (lower[i] > double.NegativeInfinity && t < lower[i]) alpha = (lower[i] - p0[i]) / x[i];
            if (upper[i] < double.PositiveInfinity && t > upper[i]) alpha = (upper[i] - p0[i]) / x[i];
        }
        return alpha;
    }

    /// <summary>
    /// Our change to the reference's max-step rule: where a component x_i exceeds its max step
    /// m_i, only its own group (the parameters of one source) is shortened, by the factor that
    /// brings the worst component of the group to ±m_i. Returns true when anything was shortened.
    /// </summary>
    /// <remarks>
    /// The reference shrinks α for the whole vector until the worst parameter moves by m_i, so
    /// one runaway parameter throttles every source of the patch: a point-like source fitted as
    /// a galaxy drives its ellipticity toward the degenerate e → 1 with ever larger Gauss–Newton
    /// steps (|x/m| of 10³–10⁴ after 20 iterations), α shrinks geometrically and no source of the
    /// patch converges. Scaling each source's block as a whole keeps that source's own
    /// direction (its position, fluxes and shape are strongly coupled; capping them one by one
    /// leads to steps that improve nothing) and the reference's guarantee that no parameter
    /// moves by more than m_i at α ≤ 1, while the other sources take their full step. The
    /// optimizer falls back to the reference's rule when the capped direction improves nothing.
    /// Parameters in group −1 (image parameters) are never scaled.
    /// </remarks>
    public static bool CapPerGroup(Span<double> x, ReadOnlySpan<double> maxStep, ReadOnlySpan<int> group)
    {
        int ngroups = 0;
        for (int i = 0; i < group.Length; i++) ngroups = Math.Max(ngroups, group[i] + 1);
        if (ngroups == 0) return false;
        Span<double> factor = ngroups <= 1024 ? stackalloc double[ngroups] : new double[ngroups];
        factor.Fill(1.0);
        bool any = false;
        for (int i = 0; i < x.Length; i++)
        {
            if (group[i] < 0 || !(maxStep[i] < double.PositiveInfinity)) continue;
            double ax = Math.Abs(x[i]);
            if (ax > maxStep[i])
            {
                factor[group[i]] = Math.Min(factor[group[i]], maxStep[i] / ax);
                any = true;
            }
        }
        if (!any) return false;
        for (int i = 0; i < x.Length; i++)
            if (group[i] >= 0) x[i] *= factor[group[i]];
        return true;
    }

    /// <summary>
    /// Group of each parameter: the index of its source for <c>catalog.source&lt;i&gt;.…</c>
    /// names (the Tractor's naming, docs/fitting.md §13.4), −1 for everything else.
    /// </summary>
    public static int[] SourceGroups(IFitProblem problem)
    {
        var groups = new int[problem.ParameterCount];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groups.Length; i++)
        {
            string name = problem.ParameterName(i);
            groups[i] = -1;
            if (!name.StartsWith("catalog.", StringComparison.Ordinal)) continue;
            int dot = name.IndexOf('.', "catalog.".Length);
            string src = dot < 0 ? name : name[..dot];
            if (!ids.TryGetValue(src, out int g)) ids[src] = g = ids.Count;
            groups[i] = g;
        }
        return groups;
    }

    /// <summary>candidate_i = clamp(p0_i + α·x_i, lower_i, upper_i).</summary>
    public static void Candidate(double alpha, ReadOnlySpan<double> p0, ReadOnlySpan<double> x,
        ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, Span<double> candidate)
    {
        for (int i = 0; i < x.Length; i++)
            candidate[i] = Math.Clamp(p0[i] + alpha * x[i], lower[i], upper[i]);
    }

    /// <summary>
    /// The whole list: (requested α, effective α) pairs in the order the line search tries
    /// them. For tests and diagnostics; the optimizer walks the same rule lazily.
    /// </summary>
    public static List<(double Requested, double Effective)> List(ReadOnlySpan<double> p0, ReadOnlySpan<double> x,
        ReadOnlySpan<double> lower, ReadOnlySpan<double> upper, ReadOnlySpan<double> maxStep)
    {
        var list = new List<(double, double)>();
        foreach (double a in Alphas)
        {
            double eff = EffectiveAlpha(a, p0, x, lower, upper, maxStep, out bool limited);
            if (eff < MinAlpha) break;
            list.Add((a, eff));
            if (limited) break;
        }
        return list;
    }
}
