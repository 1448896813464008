using Tract7dt.Science.Fitting.Optimization;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// The core of an undersampled image-pixel PSF as a sum of K elliptical Gaussians, each with
/// its own centre (so that a skewed core, as real PSFs have, is followed), each integrated over the pixel (docs/algorithms.md, "Sub-pixel shifts of
/// undersampled PSFs").
/// <para>
/// Why: an ePSF sampled at whole pixels (oversampling 1) says nothing about the PSF between
/// its samples. Moving it by a sub-pixel remainder needs an interpolant, and the phase ramp's
/// (sinc) assumes the pixel-integrated PSF has no power beyond the Nyquist frequency. Below a
/// FWHM of ~2.5 px it has: the ramp turns that power into a cross-shaped ringing of 0.6–3 % of
/// the peak (FWHM 2.6–1.8 px), which every fitted star in the band carries in its residuals.
/// A smooth model of the PSF itself, integrated over the pixel at the shifted position, has
/// no such assumption: it is exact wherever the PSF is a smooth profile, and only what the
/// model misses (the remainder, ~0.1 % of the peak) is moved by the ramp. Measured on
/// pixel-integrated Moffat PSFs with a halo, round and 15 % elliptical at 45°: the moved
/// stamp's worst error falls from 0.6–3.3 % to 0.08–0.22 % of the peak (FourierShiftTests).
/// </para>
/// <para>
/// The pixel integral is a 3×3 Gauss–Legendre sum; the same sum is used in the fit and in every
/// render, so the model is defined by it. Components: precision matrix L·Lᵀ with
/// L = [[e^l11, 0], [l21, e^l22]] (no degenerate angle for round components). Amplitudes are
/// linear, non-negative and solved for at each step (variable projection); centres and shapes by
/// Levenberg–Marquardt with a forward-difference Jacobian.
/// </para>
/// </summary>
public sealed class PixelCoreMixture
{
    /// <summary>Components of the model.</summary>
    public const int Components = 3;

    /// <summary>PSFs with a FWHM below this [image px] get the model (above it the phase ramp is already
    /// within ~0.1 % of the peak).</summary>
    public const double MaxFwhmPix = 3.0;

    /// <summary>Parameters per component: centre x, y; ln l11, l21, ln l22.</summary>
    private const int Per = 5;

    /// <summary>Smallest σ of a component, in units of the FWHM's σ.</summary>
    private const double SigmaFloorFwhmSigma = 0.4;

    /// <summary>A model leaving more than this fraction of the stamp's peak anywhere is not used.</summary>
    public const double MaxRemainder = 0.03;

    /// <summary>Fit region radius, FWHM.</summary>
    private const double FitRadiusFwhm = 2.5;

    /// <summary>Gauss–Legendre points per axis of the pixel integral.</summary>
    private const int Quad = 3;

    // 3-point Gauss–Legendre on [−½, ½]
    private static readonly double[] QuadX = [-0.5 * Math.Sqrt(0.6), 0, 0.5 * Math.Sqrt(0.6)];
    private static readonly double[] QuadW = [5.0 / 18, 8.0 / 18, 5.0 / 18];

    private readonly double[] _mx, _my; // each component's centre [px from the stamp centre]
    private readonly double[] _amp, _l11, _l21, _l22; // L entries (exponentiated diagonals)
    private readonly int[] _halfWindow;

    /// <summary>Half-size of the square window, around the stamp centre, the model is drawn in [px]
    /// (each component within 5 of its largest σ).</summary>
    public int HalfWindow => _halfWindow.Max();

    private PixelCoreMixture(double[] mx, double[] my, double[] amp, double[] l11, double[] l21, double[] l22, int[] halfWindow)
    {
        _mx = mx; _my = my; _amp = amp; _l11 = l11; _l21 = l21; _l22 = l22;
        _halfWindow = halfWindow;
    }

    /// <summary>Centre, then per component amplitude and σ along its axes [px].</summary>
    public override string ToString()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string>();
        for (int k = 0; k < _amp.Length; k++)
        {
            var (s1, s2) = SigmaRange(_l11[k], _l21[k], _l22[k]);
            parts.Add(string.Create(inv, $"{_amp[k]:F4} at ({_mx[k]:F3}, {_my[k]:F3}) x sigma ({s1:F3}, {s2:F3})"));
        }
        return string.Join("; ", parts);
    }

    /// <summary>
    /// Fits the model to the core of a unit-sum stamp (odd sides, centre element [h/2][w/2]) of
    /// FWHM <paramref name="fwhm"/> px; null when the fit fails or the model explains too little
    /// of the core (then the stamp is moved by the phase ramp alone).
    /// </summary>
    /// <param name="start">A model of a similar PSF to start from (the patch centre's, for a place
    /// nearby: a few iterations instead of a few tens); null: round components of 0.7, 1.2 and 2.2
    /// times the FWHM's σ.</param>
    public static PixelCoreMixture? Fit(ReadOnlySpan<float> stamp, int width, int height, double fwhm, PixelCoreMixture? start = null)
    {
        if (!(fwhm > 0.5) || width < 7 || height < 7) return null;
        int cx = width / 2, cy = height / 2;
        double rFit = Math.Max(2.0, FitRadiusFwhm * fwhm);
        int hr = (int)Math.Ceiling(rFit);
        hr = Math.Min(hr, Math.Min(cx, cy));
        var px = new List<(int Dx, int Dy, double V)>();
        double ee = 0;
        for (int j = -hr; j <= hr; j++)
            for (int i = -hr; i <= hr; i++)
            {
                if (i * i + j * j > rFit * rFit) continue;
                double v = stamp[(cy + j) * width + cx + i];
                if (!double.IsFinite(v)) return null;
                px.Add((i, j, v));
                ee += v * v;
            }
        if (!(ee > 0)) return null;
        double s0 = fwhm / 2.3548200450309493;
        // No component narrower than 0.4 σ of the FWHM: a seeing PSF has no sub-pixel spike, and
        // a near-delta component (which a free fit uses to follow the stamp's pixel-to-pixel
        // roughness) moves its light a whole pixel at once when the shift crosses a pixel edge.
        var fitter = new VarPro(px, SigmaFloorFwhmSigma * s0);
        double[] theta = new double[Per * Components];
        double[] scale = [0.7, 1.2, 2.2];
        if (start is not null)
        {
            for (int k = 0; k < Components; k++)
            {
                theta[Per * k] = start._mx[k]; theta[Per * k + 1] = start._my[k];
                theta[Per * k + 2] = Math.Log(start._l11[k]);
                theta[Per * k + 3] = start._l21[k];
                theta[Per * k + 4] = Math.Log(start._l22[k]);
            }
        }
        else
            for (int k = 0; k < Components; k++)
            {
                theta[Per * k + 2] = -Math.Log(s0 * scale[k]);
                theta[Per * k + 3] = 0;
                theta[Per * k + 4] = -Math.Log(s0 * scale[k]);
            }
        if (!fitter.Minimise(theta, out double cost, out double[] amp)) return null;
        // A model that leaves more than 2 % of the core's power unexplained is no better than the ramp.
        if (!(cost < 0.02 * ee)) return null;
        var mx = new double[Components]; var my = new double[Components];
        var l11 = new double[Components]; var l21 = new double[Components]; var l22 = new double[Components];
        var windows = new int[Components];
        for (int k = 0; k < Components; k++)
        {
            mx[k] = theta[Per * k]; my[k] = theta[Per * k + 1];
            if (Math.Abs(mx[k]) > 2 || Math.Abs(my[k]) > 2) return null;
            l11[k] = Math.Exp(theta[Per * k + 2]); l21[k] = theta[Per * k + 3]; l22[k] = Math.Exp(theta[Per * k + 4]);
            double sigma = SigmaRange(l11[k], l21[k], l22[k]).Max;
            if (!(sigma < 0.5 * Math.Min(width, height))) return null;
            // beyond 5σ a component holds < 4e-6 of its peak; its window stays inside the stamp
            windows[k] = Math.Min(Math.Min(cx, cy), (int)Math.Ceiling(5 * sigma + 1.5 + Math.Max(Math.Abs(mx[k]), Math.Abs(my[k]))));
        }
        return new PixelCoreMixture(mx, my, amp, l11, l21, l22, windows);
    }

    /// <summary>
    /// Adds (<paramref name="sign"/> = +1) or subtracts (−1) the model moved by (dx, dy) to the
    /// W×H stamp <paramref name="dst"/>, within the window of <see cref="HalfWindow"/> around its centre.
    /// </summary>
    public void Add(double dx, double dy, Span<float> dst, int width, int height, double sign = 1)
    {
        int cx = width / 2, cy = height / 2;

        Span<double> ez2 = stackalloc double[Quad], yq = stackalloc double[Quad];
        for (int k = 0; k < _amp.Length; k++)
        {
            if (_amp[k] == 0) continue;
            int hw = _halfWindow[k];
            double l11 = _l11[k], l21 = _l21[k], l22 = _l22[k];
            double scale = sign * _amp[k] * l11 * l22 / (2 * Math.PI);
            double mx = _mx[k] + dx, my = _my[k] + dy;
            for (int j = -hw; j <= hw; j++)
            {
                double y = j - my;
                for (int q = 0; q < Quad; q++)
                {
                    double yy = y + QuadX[q], z2 = l22 * yy;
                    ez2[q] = QuadW[q] * Math.Exp(-0.5 * z2 * z2);
                    yq[q] = l21 * yy;
                }
                var row = dst.Slice((cy + j) * width + cx - hw, 2 * hw + 1);
                for (int i = -hw; i <= hw; i++)
                {
                    double x = i - mx, acc = 0;
                    for (int q = 0; q < Quad; q++)
                    {
                        double inner = 0;
                        for (int p = 0; p < Quad; p++)
                        {
                            double z1 = l11 * (x + QuadX[p]) + yq[q];
                            inner += QuadW[p] * Math.Exp(-0.5 * z1 * z1);
                        }
                        acc += ez2[q] * inner;
                    }
                    row[i + hw] += (float)(scale * acc);
                }
            }
        }
    }

    /// <summary>The σ of a component along its two axes [px] (precision L·Lᵀ, L = [[l11, 0], [l21, l22]]).</summary>
    private static (double Min, double Max) SigmaRange(double l11, double l21, double l22)
    {
        double t = l11 * l11 + l21 * l21 + l22 * l22, det = l11 * l22, disc = Math.Sqrt(Math.Max(0, t * t - 4 * det * det));
        double big = 0.5 * (t + disc), small = 0.5 * (t - disc);
        return (1 / Math.Sqrt(big), small > 0 ? 1 / Math.Sqrt(small) : double.PositiveInfinity);
    }

    /// <summary>One unit Gaussian (precision L·Lᵀ) integrated over the pixel whose centre is (x, y) from it.</summary>
    private static double Basis(double x, double y, double l11, double l21, double l22)
    {
        double norm = l11 * l22 / (2 * Math.PI), acc = 0;
        for (int q = 0; q < Quad; q++)
        {
            double yy = y + QuadX[q], wy = QuadW[q], z2 = l22 * yy;
            for (int p = 0; p < Quad; p++)
            {
                double xx = x + QuadX[p];
                double z1 = l11 * xx + l21 * yy;
                acc += wy * QuadW[p] * Math.Exp(-0.5 * (z1 * z1 + z2 * z2));
            }
        }
        return norm * acc;
    }

    /// <summary>Variable projection: for a centre and shapes, the amplitudes by linear least squares; LM over the rest.</summary>
    private sealed class VarPro(List<(int Dx, int Dy, double V)> px, double sigmaFloor)
    {
        private readonly int _n = px.Count;
        private readonly double[,] _basis = new double[Components, px.Count];

        /// <summary>
        /// Residuals (model − data) at θ into <paramref name="r"/>; the amplitudes into <paramref name="amp"/>.
        /// False (θ not allowed) when a component is narrower than the floor along an axis, or no
        /// non-negative amplitudes can be solved for.
        /// </summary>
        public bool Residuals(double[] t, double[] r, double[] amp)
        {
            for (int k = 0; k < Components; k++)
            {
                double l11 = Math.Exp(t[Per * k + 2]), l21 = t[Per * k + 3], l22 = Math.Exp(t[Per * k + 4]);
                if (!double.IsFinite(l11) || !double.IsFinite(l22) || !double.IsFinite(l21)) return false;
                if (SigmaRange(l11, l21, l22).Min < sigmaFloor) return false;
                for (int i = 0; i < _n; i++) _basis[k, i] = Basis(px[i].Dx - t[Per * k], px[i].Dy - t[Per * k + 1], l11, l21, l22);
            }
            var ata = new double[Components, Components];
            var atb = new double[Components];
            for (int a = 0; a < Components; a++)
            {
                for (int b = a; b < Components; b++)
                {
                    double s = 0;
                    for (int i = 0; i < _n; i++) s += _basis[a, i] * _basis[b, i];
                    ata[a, b] = ata[b, a] = s;
                }
                double sb = 0;
                for (int i = 0; i < _n; i++) sb += _basis[a, i] * px[i].V;
                atb[a] = sb;
            }
            // a tiny ridge keeps near-equal components solvable without moving a well-posed answer
            double tr = 0;
            for (int a = 0; a < Components; a++) tr += ata[a, a];
            for (int a = 0; a < Components; a++) ata[a, a] += 1e-10 * tr;
            if (!NonNegative(ata, atb, amp)) return false;
            for (int i = 0; i < _n; i++)
            {
                double m = 0;
                for (int k = 0; k < Components; k++) m += amp[k] * _basis[k, i];
                r[i] = m - px[i].V;
            }
            return true;
        }

        /// <summary>
        /// Amplitudes ≥ 0 minimising ‖B·a − v‖² given BᵀB and Bᵀv: over every subset of free
        /// components (2³ − 1 of them), the unconstrained solution on the subset if it is
        /// non-negative, the best one kept. A PSF is light: a negative component lets two
        /// others grow and cancel inside the fit region but not beyond it.
        /// </summary>
        private static bool NonNegative(double[,] ata, double[] atb, double[] amp)
        {
            double best = double.PositiveInfinity;
            Span<double> bestAmp = stackalloc double[Components];
            for (int mask = 1; mask < 1 << Components; mask++)
            {
                var idx = Enumerable.Range(0, Components).Where(k => (mask >> k & 1) == 1).ToArray();
                var m = new double[idx.Length, idx.Length];
                var b = new double[idx.Length];
                for (int a = 0; a < idx.Length; a++)
                {
                    b[a] = atb[idx[a]];
                    for (int c = 0; c < idx.Length; c++) m[a, c] = ata[idx[a], idx[c]];
                }
                var x = new double[idx.Length];
                if (!SolveSymmetric(m, b, x) || x.Any(v => v < 0)) continue;
                // ‖B·a − v‖² − ‖v‖² = aᵀ(BᵀB)a − 2 aᵀBᵀv
                double q = 0;
                for (int a = 0; a < idx.Length; a++)
                {
                    q -= 2 * x[a] * atb[idx[a]];
                    for (int c = 0; c < idx.Length; c++) q += x[a] * ata[idx[a], idx[c]] * x[c];
                }
                if (q < best)
                {
                    best = q;
                    bestAmp.Clear();
                    for (int a = 0; a < idx.Length; a++) bestAmp[idx[a]] = x[a];
                }
            }
            if (!double.IsFinite(best)) return false;
            bestAmp.CopyTo(amp);
            return true;
        }

        public bool Minimise(double[] theta, out double cost, out double[] ampOut)
        {
            int p = theta.Length;
            var r = new double[_n]; var rt = new double[_n];
            var amp = new double[Components]; var ampT = new double[Components];
            ampOut = amp;
            cost = double.PositiveInfinity;
            if (!Residuals(theta, r, amp)) return false;
            cost = SumSq(r);
            var jac = new double[p, _n];
            var trial = new double[p];
            double lambda = 1e-3;
            for (int iter = 0; iter < 60; iter++)
            {
                for (int a = 0; a < p; a++)
                {
                    Array.Copy(theta, trial, p);
                    double h = 1e-6 * Math.Max(1, Math.Abs(theta[a]));
                    trial[a] += h;
                    if (!Residuals(trial, rt, ampT)) return false;
                    for (int i = 0; i < _n; i++) jac[a, i] = (rt[i] - r[i]) / h;
                }
                var jtj = new double[p, p]; var g = new double[p];
                for (int a = 0; a < p; a++)
                {
                    for (int b = a; b < p; b++)
                    {
                        double s = 0;
                        for (int i = 0; i < _n; i++) s += jac[a, i] * jac[b, i];
                        jtj[a, b] = jtj[b, a] = s;
                    }
                    double sg = 0;
                    for (int i = 0; i < _n; i++) sg += jac[a, i] * r[i];
                    g[a] = -sg;
                }
                bool improved = false;
                for (int tries = 0; tries < 12 && !improved; tries++)
                {
                    var m = (double[,])jtj.Clone();
                    for (int a = 0; a < p; a++) m[a, a] += lambda * Math.Max(jtj[a, a], 1e-30);
                    var step = new double[p];
                    if (SolveSymmetric(m, g, step))
                    {
                        for (int a = 0; a < p; a++) trial[a] = theta[a] + step[a];
                        if (Residuals(trial, rt, ampT))
                        {
                            double c = SumSq(rt);
                            if (c < cost)
                            {
                                double gain = (cost - c) / cost;
                                Array.Copy(trial, theta, p);
                                Array.Copy(rt, r, _n);
                                Array.Copy(ampT, amp, Components);
                                cost = c;
                                lambda = Math.Max(lambda / 3, 1e-9);
                                improved = true;
                                if (gain < 1e-5) return true; // the remainder takes what is left: no need to polish
                                continue;
                            }
                        }
                    }
                    lambda *= 4;
                }
                if (!improved) return double.IsFinite(cost);
            }
            return double.IsFinite(cost);
        }

        private static double SumSq(double[] r)
        {
            double s = 0;
            foreach (double v in r) s += v * v;
            return s;
        }
    }

    /// <summary>Solves the symmetric system m·x = b (<see cref="DenseCholesky"/>); false when m is not positive definite.</summary>
    private static bool SolveSymmetric(double[,] m, double[] b, double[] x)
    {
        int n = b.Length;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i * n + j] = m[i, j];
        if (!DenseCholesky.FactorLower(a, n, 0)) return false;
        b.CopyTo(x, 0);
        DenseCholesky.SolveFactored(a, n, x);
        return true;
    }
}
