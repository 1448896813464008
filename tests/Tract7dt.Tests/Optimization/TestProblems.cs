using Tract7dt.Science.Fitting;

namespace Tract7dt.Tests.Optimization;

/// <summary>
/// A small forward model with analytic derivatives for optimizer tests: circular
/// Gaussian blobs of common width σ on N images, one sky per image. Parameters, in the
/// Tractor's order: sky_0..sky_{N−1}, then per source x, y, flux_0..flux_{N−1}, and
/// (optionally, <see cref="FitWidth"/>) one shared log-width parameter at the end with bounds.
/// </summary>
internal sealed class BlobProblem : IFitProblem
{
    public readonly int W, H, N;
    public readonly float[][] DataImg, Err;
    public readonly double[] Sky;
    public readonly List<double[]> Src = new(); // x, y, flux per band
    public double Sigma;
    public bool FitWidth;
    public double WidthLower = double.NegativeInfinity, WidthUpper = double.PositiveInfinity;
    public bool PoisonDerivative;

    public BlobProblem(int w, int h, int nImages, double sigma)
    {
        W = w; H = h; N = nImages; Sigma = sigma;
        DataImg = new float[N][];
        Err = new float[N][];
        Sky = new double[N];
        for (int n = 0; n < N; n++)
        {
            DataImg[n] = new float[w * h];
            Err[n] = new float[w * h];
            Err[n].AsSpan().Fill(1f);
        }
    }

    public void AddSource(double x, double y, params double[] flux)
    {
        var p = new double[2 + N];
        p[0] = x; p[1] = y;
        flux.CopyTo(p, 2);
        Src.Add(p);
    }

    /// <summary>Makes the data = model at current parameters + seeded Gaussian noise of σ_n, E = 1/σ_n.</summary>
    public void Simulate(int seed, params double[] noiseSigma)
    {
        var rng = new Random(seed);
        var m = new float[W * H];
        for (int n = 0; n < N; n++)
        {
            RenderModel(n, m);
            for (int i = 0; i < m.Length; i++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                DataImg[n][i] = (float)(m[i] + noiseSigma[n] * g);
                Err[n][i] = (float)(1 / noiseSigma[n]);
            }
        }
    }

    public int ImageCount => N;
    public int ImageWidth(int image) => W;
    public int ImageHeight(int image) => H;
    public ReadOnlySpan<float> Data(int image) => DataImg[image];
    public ReadOnlySpan<float> InverseError(int image) => Err[image];
    public int ParameterCount => N + Src.Count * (2 + N) + (FitWidth ? 1 : 0);

    public string ParameterName(int index)
    {
        if (index < N) return $"images.image{index}.sky.sky";
        int k = index - N;
        if (k >= Src.Count * (2 + N)) return "psf.logsigma";
        int s = k / (2 + N), q = k % (2 + N);
        return q switch { 0 => $"catalog.source{s}.pos.x", 1 => $"catalog.source{s}.pos.y", _ => $"catalog.source{s}.brightness.b{q - 2}" };
    }

    public void GetParameters(Span<double> v)
    {
        int i = 0;
        for (int n = 0; n < N; n++) v[i++] = Sky[n];
        foreach (var s in Src) foreach (var p in s) v[i++] = p;
        if (FitWidth) v[i++] = Math.Log(Sigma);
    }

    public void SetParameters(ReadOnlySpan<double> v)
    {
        int i = 0;
        for (int n = 0; n < N; n++) Sky[n] = v[i++];
        foreach (var s in Src) for (int q = 0; q < s.Length; q++) s[q] = v[i++];
        if (FitWidth) Sigma = Math.Exp(v[i++]);
    }

    public void GetBounds(Span<double> lower, Span<double> upper)
    {
        lower.Fill(double.NegativeInfinity);
        upper.Fill(double.PositiveInfinity);
        if (FitWidth) { lower[^1] = WidthLower; upper[^1] = WidthUpper; }
    }

    public void GetMaxSteps(Span<double> maxSteps)
    {
        maxSteps.Fill(double.PositiveInfinity);
        int i = N;
        foreach (var s in Src) { maxSteps[i] = 1; maxSteps[i + 1] = 1; i += 2 + N; }
        if (FitWidth) maxSteps[^1] = 1;
    }

    public double LogPrior() => 0;

    public void RenderModel(int image, Span<float> model)
    {
        model.Fill((float)Sky[image]);
        foreach (var s in Src)
        {
            double f = s[2 + image];
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    model[y * W + x] += (float)(f * Unit(x, y, s[0], s[1]));
        }
    }

    private double Unit(double px, double py, double x, double y)
    {
        double dx = px - x, dy = py - y, v = Sigma * Sigma;
        return Math.Exp(-(dx * dx + dy * dy) / (2 * v)) / (2 * Math.PI * v);
    }

    public void GetDerivatives(List<DerivativePatch>[] per)
    {
        for (int n = 0; n < N; n++)
        {
            var ones = new float[W * H];
            ones.AsSpan().Fill(1f);
            per[n].Add(new DerivativePatch(n, 0, 0, W, H, ones));
        }
        int col = N;
        var dw = FitWidth ? Enumerable.Range(0, N).Select(_ => new float[W * H]).ToArray() : null;
        foreach (var s in Src)
        {
            for (int n = 0; n < N; n++)
            {
                double f = s[2 + n];
                var u = new float[W * H];
                var dxp = new float[W * H];
                var dyp = new float[W * H];
                double v = Sigma * Sigma;
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                    {
                        double g = Unit(x, y, s[0], s[1]);
                        double ddx = x - s[0], ddy = y - s[1];
                        u[y * W + x] = (float)g;
                        dxp[y * W + x] = (float)(f * g * ddx / v);
                        dyp[y * W + x] = (float)(f * g * ddy / v);
                        if (dw != null) dw[n][y * W + x] += (float)(f * g * ((ddx * ddx + ddy * ddy) / v - 2));
                    }
                if (PoisonDerivative && n == 0) dxp[W * H / 2] = float.NaN;
                if (f != 0)
                {
                    per[col].Add(new DerivativePatch(n, 0, 0, W, H, dxp));
                    per[col + 1].Add(new DerivativePatch(n, 0, 0, W, H, dyp));
                }
                per[col + 2 + n].Add(new DerivativePatch(n, 0, 0, W, H, u));
            }
            col += 2 + N;
        }
        if (dw != null)
            for (int n = 0; n < N; n++) per[col].Add(new DerivativePatch(n, 0, 0, W, H, dw[n]));
    }
}

/// <summary>
/// A linear model: image pixels M = Σ_j p_j B_j (+ nothing else), with fixed basis
/// images B_j; a Gauss–Newton step solves it exactly.
/// </summary>
internal sealed class LinearProblem : IFitProblem
{
    public readonly int W, H;
    public readonly float[][] Basis;
    public readonly double[] P;
    public float[] D, E;
    public double[] Lower, Upper;
    public double[]? MaxSteps;

    public LinearProblem(int w, int h, int np, int seed)
    {
        W = w; H = h;
        var rng = new Random(seed);
        Basis = new float[np][];
        for (int j = 0; j < np; j++)
        {
            Basis[j] = new float[w * h];
            for (int i = 0; i < w * h; i++) Basis[j][i] = (float)(rng.NextDouble() * 2 - 1);
        }
        P = new double[np];
        D = new float[w * h];
        E = new float[w * h];
        for (int i = 0; i < w * h; i++) { D[i] = (float)(rng.NextDouble() * 4 - 2); E[i] = (float)(0.5 + rng.NextDouble()); }
        Lower = Enumerable.Repeat(double.NegativeInfinity, np).ToArray();
        Upper = Enumerable.Repeat(double.PositiveInfinity, np).ToArray();
    }

    public int ImageCount => 1;
    public int ImageWidth(int image) => W;
    public int ImageHeight(int image) => H;
    public ReadOnlySpan<float> Data(int image) => D;
    public ReadOnlySpan<float> InverseError(int image) => E;
    public int ParameterCount => P.Length;
    public string ParameterName(int index) => $"catalog.source{index}.p";
    public void GetParameters(Span<double> values) => P.CopyTo(values);
    public void SetParameters(ReadOnlySpan<double> values) => values.CopyTo(P);
    public void GetBounds(Span<double> lower, Span<double> upper) { Lower.CopyTo(lower); Upper.CopyTo(upper); }
    public void GetMaxSteps(Span<double> maxSteps)
    {
        if (MaxSteps is null) maxSteps.Fill(double.PositiveInfinity);
        else MaxSteps.CopyTo(maxSteps);
    }
    public double LogPrior() => 0;

    /// <summary>Gaussian priors (parameter, mean, σ) handed to the optimizer as extra rows.</summary>
    public (int Parameter, double Mean, double Sigma)[] Priors = [];

    public int GaussianPriorCount => Priors.Length;

    public void GetGaussianPriors(Span<int> parameter, Span<double> residual, Span<double> inverseSigma)
    {
        for (int k = 0; k < Priors.Length; k++)
        {
            var (j, mu, sigma) = Priors[k];
            parameter[k] = j;
            residual[k] = (mu - P[j]) / sigma;
            inverseSigma[k] = 1.0 / sigma;
        }
    }

    public void RenderModel(int image, Span<float> model)
    {
        for (int i = 0; i < model.Length; i++)
        {
            double s = 0;
            for (int j = 0; j < P.Length; j++) s += P[j] * Basis[j][i];
            model[i] = (float)s;
        }
    }

    public void GetDerivatives(List<DerivativePatch>[] perParameter)
    {
        for (int j = 0; j < P.Length; j++) perParameter[j].Add(new DerivativePatch(0, 0, 0, W, H, Basis[j]));
    }
}
