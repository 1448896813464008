namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// SEP's circular aperture sum with 5×5 sub-pixel sampling at the edge, no background,
/// masked pixels replaced by the mean of the unmasked ones (docs/fitting.md §5.1).
/// </summary>
public static class ApertureSum
{
    private const int Subpix = 5;

    /// <summary>
    /// Sum of <paramref name="data"/> (w × h, row-major) inside the circle of radius
    /// <paramref name="r"/> [pix] centred at (<paramref name="x"/>, <paramref name="y"/>)
    /// (0-based pixel centres). <paramref name="masked"/>[i] true excludes pixel i.
    /// Returns T·A_tot/(A_tot − A_mask), which is NaN/∞ when everything is masked.
    /// </summary>
    public static double SumCircle(ReadOnlySpan<float> data, ReadOnlySpan<bool> masked, int w, int h,
        double x, double y, double r)
    {
        double r2 = r * r;
        double rin = Math.Max(r - 0.7072, 0), rin2 = rin * rin;
        double rout = r + 0.7072, rout2 = rout * rout;
        int xmin = (int)Math.Truncate(x - r + 0.5), xmax = (int)Math.Truncate(x + r + 1.4999999);
        int ymin = (int)Math.Truncate(y - r + 0.5), ymax = (int)Math.Truncate(y + r + 1.4999999);
        xmin = Math.Max(xmin, 0); ymin = Math.Max(ymin, 0);
        xmax = Math.Min(xmax, w); ymax = Math.Min(ymax, h);
        const double s = 1.0 / Subpix, o = 0.5 * (s - 1);
        double total = 0, aTot = 0, aMask = 0;
        for (int iy = ymin; iy < ymax; iy++)
        {
            double dy = iy - y;
            for (int ix = xmin; ix < xmax; ix++)
            {
                double dx = ix - x;
                double rho2 = dx * dx + dy * dy;
                if (!(rho2 < rout2)) continue;
                double overlap;
                if (rho2 > rin2)
                {
                    // Sub-pixel centres by repeated addition, as SEP steps them: the rounding
                    // decides samples that fall exactly on the circle (e.g. integer centres).
                    int count = 0;
                    double sy = dy + o;
                    for (int k = 0; k < Subpix; k++, sy += s)
                    {
                        double sy2 = sy * sy;
                        double sx = dx + o;
                        for (int j = 0; j < Subpix; j++, sx += s)
                            if (sx * sx + sy2 < r2) count++;
                    }
                    overlap = s * s * count;
                }
                else overlap = 1.0;
                int i = iy * w + ix;
                if (masked[i]) aMask += overlap;
                else total += data[i] * overlap;
                aTot += overlap;
            }
        }
        return total * aTot / (aTot - aMask);
    }
}
