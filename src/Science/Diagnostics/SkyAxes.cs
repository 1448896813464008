using System.Globalization;
using ScottPlot;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// RA/Dec tick labels for an image plot whose axes are in pixels: RA along the bottom edge,
/// Dec along the left edge, at round values (the original's overlays had RA/Dec axes).
/// </summary>
/// <remarks>
/// A tick sits where the edge meets the round coordinate, found along the edge itself, so a
/// rotated or sheared WCS labels its edges correctly; the grid lines of constant RA or Dec are
/// not drawn (over an image of a degree they are straight to a fraction of a pixel, but not
/// in general).
/// </remarks>
public static class SkyAxes
{
    /// <summary>Candidate tick steps, decimal degrees (labels in degrees read best at decimal steps).</summary>
    private static readonly double[] Steps =
        [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];

    /// <summary>Labels the bottom axis with RA and the left with Dec (degrees).</summary>
    public static void Apply(Plot plot, TanWcs wcs, int width, int height)
    {
        var (raTicks, raLabels) = Ticks(width, t => wcs.PixelToSky(t, -0.5).Ra, wrapRa: true);
        var (decTicks, decLabels) = Ticks(height, t => wcs.PixelToSky(-0.5, t).Dec, wrapRa: false);
        if (raTicks.Length >= 2)
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(raTicks, raLabels);
            plot.Axes.Bottom.Label.Text = "RA [deg] (bottom edge)";
        }
        if (decTicks.Length >= 2)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decTicks, decLabels);
            plot.Axes.Left.Label.Text = "Dec [deg] (left edge)";
        }
    }

    /// <summary>
    /// Pixel positions along an edge of <paramref name="length"/> pixels where the coordinate
    /// <paramref name="at"/> passes a multiple of a round step (4–8 ticks), with their labels.
    /// </summary>
    internal static (double[] Positions, string[] Labels) Ticks(int length, Func<double, double> at, bool wrapRa)
    {
        const int samples = 400;
        var t = new double[samples + 1];
        var v = new double[samples + 1];
        for (int i = 0; i <= samples; i++)
        {
            t[i] = -0.5 + length * (double)i / samples;
            v[i] = at(t[i]);
        }
        // RA unwrapped across 0/360 along the edge
        if (wrapRa)
            for (int i = 1; i <= samples; i++)
            {
                while (v[i] - v[i - 1] > 180) v[i] -= 360;
                while (v[i] - v[i - 1] < -180) v[i] += 360;
            }
        double span = Math.Abs(v[^1] - v[0]);
        if (!(span > 0) || !double.IsFinite(span)) return ([], []);
        double step = Steps.FirstOrDefault(s => span / s <= 6, Steps[^1]);
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        var pos = new List<double>();
        var lab = new List<string>();
        for (int i = 1; i <= samples; i++)
        {
            double a = v[i - 1], b = v[i];
            double lo = Math.Min(a, b), hi = Math.Max(a, b);
            for (double m = Math.Ceiling(lo / step) * step; m < hi || (i == samples && m <= hi); m += step)
            {
                if (m < lo) continue;
                double f = b == a ? 0 : (m - a) / (b - a);
                double p = t[i - 1] + f * (t[i] - t[i - 1]);
                if (pos.Count > 0 && Math.Abs(p - pos[^1]) < 1e-6) continue;
                double r = Math.Round(m / step) * step; // on the step's grid (no 0.15000000000000002, no −0.00)
                if (Math.Abs(r) < 1e-9 * step) r = 0;
                double shown = wrapRa ? ((r % 360) + 360) % 360 : r;
                if (shown >= 360 - 1e-9) shown = 0;
                pos.Add(p);
                lab.Add(shown.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
            }
        }
        return (pos.ToArray(), lab.ToArray());
    }
}
