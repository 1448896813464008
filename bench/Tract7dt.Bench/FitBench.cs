// Timings of the optimizer work (wip/perf2), `dotnet run -c Release --project bench/Tract7dt.Bench -- fit 5,40`
// and `-- fit-kernels 5,40`, on the shared 2-core AMD EPYC (wall times vary ±20 % with load).
//
// Before (main at 64360b7): per-column products, two passes over A per LSQR iteration.
// | bands | params | steps | fit s | render s | derivs s | build s | LSQR s (its) | LSQR ms/it | alloc MB |
// |---|---|---|---|---|---|---|---|---|---|
// | 5  | 795  | 13 | 7.73  | 4.31  | 1.80  | 0.12 | 1.53 (442)  | 3.5  | 3838  |
// | 40 | 4330 | 10 | 71.07 | 39.26 | 16.96 | 0.70 | 15.76 (300) | 52.5 | 22890 |
// (The brief measured 85.8 s for 40 bands on a busier machine: LSQR 23.5 s, build 1.6 s.)
//
// After (this branch + wip/perf's rendering merged): one-pass banded LSQR product over a
// pass-ordered copy of the values, SIMD build/χ kernels, reused buffers.
// | bands | params | steps | fit s | render s | derivs s | build s | LSQR s (its) | LSQR ms/it | alloc MB | optimizer alloc after step 1 | vs Tractor |
// |---|---|---|---|---|---|---|---|---|---|---|---|
// | 5  | 795  | 12 | 1.38 | 0.47 | 0.29 | 0.14 | 0.45 (420) | 1.07 | 229 | 6.4 kB/step  | 6.5x  |
// | 40 | 4330 | 7  | 4.35 | 0.33 | 0.72 | 0.33 | 2.92 (252) | 11.6 | 859 | 34.7 kB/step | 15.2x |
// Step counts differ (13→12, 10→7) because LSQR's rounding changed; chi²/pixel and the median
// galaxy position error are unchanged (0.996/0.0028 and 0.998/0.0011).
//
// wip/speed: AVX-512 FMA product kernels on rows padded to a multiple of 4 (no scalar tails),
// four independent row chains per block dot; bands that share a PSF hand over one derivative
// array per source with the flux as DerivativePatch.Scale (derivatives 0.77 → 0.09 s at 40
// bands), kept once and weighted by E inside the product when ≥ 8 blocks use it; bench without
// tiered compilation (the first fit of a run no longer runs unoptimised code).
// | bands | params | steps | fit s | derivs s | build s | LSQR s (its/step) | LSQR ms/it (fit-kernels) | chi2/pix | vs Tractor |
// |---|---|---|---|---|---|---|---|---|---|
// | 5  | 795  | 9  | 0.60 | 0.08 | 0.06 | 0.23 (35) | 0.64 | 0.996 | 15.1x (per step 13.6x) |
// | 40 | 4330 | 10 | 3.49 | 0.09 | 0.26 | 2.62 (32) | 7.58 | 0.998 | 18.9x (per step 23.7x) |
// Step counts move with rounding (40 bands: 9, 7 and 10 steps over this branch's changes, at
// the same chi²/pixel and galaxy position error), so compare s/step as well as fit s.
//
// This round (a slower 2-core AMD EPYC VM, where the same Tractor build runs the recipe in
// 15.5-17.6 s at 5 bands and 108 s at 40 bands, 1.6-1.9x its golden timings): the line search
// starts at alpha = 1 (3-5 renders per step instead of 12) and LSQR runs block-Jacobi
// preconditioned per source (17 instead of 37 iterations per step at 5 bands, 14 instead of
// 33 at 40). PSF shift: fourier (the pipeline default; lanczos3 times the same).
// | bands | steps | fit s | LSQR its/step | chi2/pix | med gal pos err | vs golden Tractor | vs Tractor on this machine |
// |---|---|---|---|---|---|---|---|
// | 5 (before this round) | 9 | 1.05-1.29 | 35 | 0.996 | 0.0028 | 7-8.6x | 12x |
// | 5  | 10 | 0.69 | 17 | 0.996 | 0.0027 | 13.0x | 22-25x |
// | 40 (before this round) | 10 | 5.45-6.88 | 32 | 0.998 | 0.0011 | 10-12x | 16-20x |
// | 40 | 8 | 2.31 | 14 | 0.998 | 0.0011 | 28.6x | 47x |
//
// Kernels alone (fit-kernels, the start point, min CPU time of 7 runs):
// | bands | stored values | build ms | LSQR two-pass ms/it | LSQR one-pass ms/it | speed-up | roofline ms |
// |---|---|---|---|---|---|---|
// | 5  | 2.95 M | 15.7 | 1.29  | 0.87  | 1.5x | 0.22 |
// | 40 | 23.2 M | 32.0 | 22.25 | 10.96 | 2.0x | 3.42 |
// (two-pass = the per-column products composed as before, with today's SIMD kernels; the
// roofline is one streaming read of the values plus a read-modify-write of u.)

using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Optimization;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Bench;

/// <summary>
/// The golden README's timing recipe (golden/tractor/README.md "timing/"): a 300×300 patch,
/// 100 sources (70 stars, 15 Exp, 15 Dev), a 25×25 Moffat PixelizedPSF, σ = 1, every sky
/// free, starts perturbed by 0.3 px / 10 % flux / 0.1 in ln r_e; fitted to dlnp &lt; 1e-6 or
/// 200 steps on one thread. Simulated in-process with fixed seeds (System.Random, not
/// NumPy's stream, so the images differ from the Tractor's but follow the same recipe).
/// </summary>
public sealed class FitBench : IBenchmark
{
    public string Name => "fit";

    public string Description => "patch fit (100 sources, 300x300, 5 and 40 bands) vs the Tractor's timings";

    // Tractor, correctly scaled derivatives (pixscale 3600 supplement), single thread.
    private static readonly Dictionary<int, (double FitS, int Steps, double SPerStep, double VarS)> Tractor = new()
    {
        [5] = (9.0, 10, 0.90, 0.53),
        [10] = (12.3, 6, 2.05, 1.10),
        [20] = (32.1, 7, 4.59, 2.95),
        [40] = (66.1, 8, 8.26, 7.48),
    };

    public void Run(string[] args)
    {
        var bandCounts = args.Length > 0
            ? args[0].Split(',').Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray()
            : [5, 40];
        // The pipeline's default sub-pixel shift (fourier) unless "lanczos3" (the Tractor's) is asked for.
        Shift = args.Length > 1 && args[1] == "lanczos3" ? SubpixelShift.Lanczos3 : SubpixelShift.Fourier;
        Console.WriteLine($"PSF sub-pixel shift: {Shift}");
        // Optional "5=15.5,40=108": the Tractor's fit seconds for the same recipe measured on this
        // machine (its speed differs from the golden machine's), for a same-machine ratio.
        foreach (var kv in (args.Length > 2 ? args[2] : "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = kv.Split('=');
            Here[int.Parse(p[0], CultureInfo.InvariantCulture)] = double.Parse(p[1], CultureInfo.InvariantCulture);
        }
        Console.WriteLine("| bands | params | steps | fit s | s/step | LSQR its/step | alloc MB (fit) | var s | chi2/pix | med gal pos err px | Tractor fit s | Tractor s/step | speed-up | Tractor here s | speed-up here |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (int nb in bandCounts) RunOne(nb);
    }

    private const int W = 300, H = 300, NSrc = 100;

    /// <summary>The Tractor's fit seconds measured on this machine, by band count (optional).</summary>
    private static readonly Dictionary<int, double> Here = new();

    /// <summary>How the pixelized PSF is moved to sub-pixel positions (the data are rendered the same way).</summary>
    internal static SubpixelShift Shift { get; set; } = SubpixelShift.Fourier;

    private static void RunOne(int nb)
    {
        var (pm, x, y) = MakeProblem(nb);
        FitAndReport(nb, pm, x, y);
    }

    /// <summary>The recipe's problem at its perturbed start, plus the true source positions.</summary>
    internal static (PatchModel Model, double[] X, double[] Y) MakeProblem(int nb)
    {
        var psf = MoffatStamp();
        var rng = new Random(20260501);
        double U(double a, double b) => a + (b - a) * rng.NextDouble();
        double N(double s) => s * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var bands = Enumerable.Range(0, nb).Select(j => $"b{j:00}").ToArray();
        var x = Enumerable.Range(0, NSrc).Select(_ => U(10, 290)).ToArray();
        var y = Enumerable.Range(0, NSrc).Select(_ => U(10, 290)).ToArray();
        var lnF = Enumerable.Range(0, NSrc).Select(i => i < 70 ? U(Math.Log(500), Math.Log(20000)) : U(Math.Log(2000), Math.Log(30000))).ToArray();
        var colour = Enumerable.Range(0, NSrc).Select(_ => Enumerable.Range(0, nb).Select(_ => U(0.7, 1.3)).ToArray()).ToArray();
        var re = Enumerable.Range(0, 30).Select(_ => U(1.5, 4.0)).ToArray();
        var ab = Enumerable.Range(0, 30).Select(_ => U(0.4, 1.0)).ToArray();
        var phi = Enumerable.Range(0, 30).Select(_ => U(0, 180)).ToArray();

        FitSource Source(int i, double dx, double dy, Func<int, double> fluxScale, double dlogre)
        {
            var flux = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int j = 0; j < nb; j++) flux[bands[j]] = Math.Exp(lnF[i]) * colour[i][j] * fluxScale(j);
            if (i < 70) return new FitSource(SourceType.Point, x[i] + dx, y[i] + dy, flux);
            int g = i - 70;
            return new FitSource(i < 85 ? SourceType.Exp : SourceType.Dev, x[i] + dx, y[i] + dy, flux,
                EllipseESoft.FromRAbPhi(re[g] * Math.Exp(dlogre), ab[g], phi[g]));
        }

        var truth = Enumerable.Range(0, NSrc).Select(i => Source(i, 0, 0, _ => 1.0, 0)).ToArray();
        var noiseRng = new Random(20260502);
        var images = new FitImage[nb];
        var ones = Enumerable.Repeat(1f, W * H).ToArray();
        for (int j = 0; j < nb; j++)
        {
            var blank = new FitImage(bands[j], new float[W * H], ones, W, H, psf);
            var tm = new PatchModel([blank], truth);
            var data = new float[W * H];
            tm.RenderModel(0, data);
            for (int i = 0; i < data.Length; i++)
                data[i] = (float)(data[i] + Math.Sqrt(-2 * Math.Log(1 - noiseRng.NextDouble())) * Math.Cos(2 * Math.PI * noiseRng.NextDouble()));
            images[j] = new FitImage(bands[j], data, ones, W, H, psf);
        }
        var start = Enumerable.Range(0, NSrc).Select(i =>
        {
            double dx = N(0.3), dy = N(0.3);
            var df = Enumerable.Range(0, nb).Select(_ => N(0.1)).ToArray();
            double dl = i >= 70 ? N(0.1) : 0;
            return Source(i, dx, dy, j => 1 + df[j], dl);
        }).ToArray();

        return (new PatchModel(images, start), x, y);
    }

    private static void FitAndReport(int nb, PatchModel pm, double[] x, double[] y)
    {
        var model = new TimedProblem(pm);
        var opt = new ConstrainedOptimizer();
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        int steps = 0, lsqrIts = 0;
        long steadyAlloc0 = 0, steadyInner0 = 0;
        for (int it = 0; it < 200; it++)
        {
            var st = opt.Step(model);
            steps++;
            if (it == 0) { steadyAlloc0 = GC.GetAllocatedBytesForCurrentThread(); steadyInner0 = model.InnerAlloc; }
            lsqrIts += st.LsqrIterations;
            if (st.DLnP < 1e-6) break;
        }
        double fitS = sw.Elapsed.TotalSeconds;
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        // The optimizer's own allocation in steps 2..n (buffers are sized in step 1).
        double optSteadyKB = (GC.GetAllocatedBytesForCurrentThread() - steadyAlloc0 - (model.InnerAlloc - steadyInner0)) / 1e3 / Math.Max(1, steps - 1);
        sw.Restart();
        var diag = new double[model.ParameterCount];
        opt.Variances(model, diag, [], []);
        double varS = sw.Elapsed.TotalSeconds;
        double chi2 = -2 * opt.LogProb(model) / (W * H * (double)nb);
        var gErr = Enumerable.Range(70, 30).Select(i =>
        {
            var s = pm.GetSource(i);
            return double.Hypot(s.X - x[i], s.Y - y[i]);
        }).OrderBy(v => v).ToArray();
        double med = (gErr[14] + gErr[15]) / 2;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  [{nb} bands] render {model.Render.Elapsed.TotalSeconds:F2} s ({model.Renders} image renders), derivatives {model.Derivs.Elapsed.TotalSeconds:F2} s, set-params {model.SetParams.Elapsed.TotalSeconds:F2} s, optimizer: build {opt.Timings.Build:F2} s, LSQR {opt.Timings.Lsqr:F2} s (preconditioner {opt.PreconditionerSeconds:F2} s), line search (incl. renders) {opt.Timings.LineSearch:F2} s, candidates rendered {opt.CandidateCounts.Evaluated} / reused {opt.CandidateCounts.Reused}; allocated: forward model {model.InnerAlloc / 1e6:F0} MB, optimizer {(alloc - model.InnerAlloc) / 1e6:F1} MB (after step 1: {optSteadyKB:F1} kB/step)"));
        var t = Tractor.TryGetValue(nb, out var tr) ? tr : (FitS: double.NaN, Steps: 0, SPerStep: double.NaN, VarS: double.NaN);
        string hereCols = Here.TryGetValue(nb, out double here)
            ? string.Create(CultureInfo.InvariantCulture, $"{here:F1} | {here / fitS:F1}x |") : "- | - |";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {nb} | {model.ParameterCount} | {steps} | {fitS:F2} | {fitS / steps:F3} | {lsqrIts / (double)steps:F0} | {alloc / 1e6:F0} | {varS:F2} | {chi2:F3} | {med:F4} | {t.FitS:F1} | {t.SPerStep:F2} | {t.FitS / fitS:F1}x (per step {t.SPerStep / (fitS / steps):F1}x) | ") + hereCols);
    }

    /// <summary>The README's 25×25 Moffat stamp: FWHM 3.5 px, β 2.5, centre (12, 12), sum 1 in f64, then f32.</summary>
    private static PixelizedPsf MoffatStamp()
    {
        const int S = 25, C = 12;
        const double Beta = 2.5, Alpha = 3.0959735448462617;
        var v = new double[S * S];
        for (int yy = 0; yy < S; yy++)
            for (int xx = 0; xx < S; xx++)
                v[yy * S + xx] = Math.Pow(1 + ((xx - C) * (xx - C) + (yy - C) * (yy - C)) / (Alpha * Alpha), -Beta);
        double sum = v.Sum();
        return new PixelizedPsf(v.Select(a => (float)(a / sum)).ToArray(), S, S, shift: Shift);
    }
}

/// <summary>Times the forward-model calls of a problem (render, derivatives) for the breakdown.</summary>
internal sealed class TimedProblem(IFitProblem inner) : IFitProblem
{
    public readonly Stopwatch Render = new(), Derivs = new(), SetParams = new();
    public int Renders;
    /// <summary>Bytes allocated inside the forward model's calls (so the optimizer's own share is the rest).</summary>
    public long InnerAlloc;
    private static long Alloc => GC.GetAllocatedBytesForCurrentThread();
    public int ImageCount => inner.ImageCount;
    public int ImageWidth(int image) => inner.ImageWidth(image);
    public int ImageHeight(int image) => inner.ImageHeight(image);
    public ReadOnlySpan<float> Data(int image) => inner.Data(image);
    public ReadOnlySpan<float> InverseError(int image) => inner.InverseError(image);
    public int ParameterCount => inner.ParameterCount;
    public string ParameterName(int index) => inner.ParameterName(index);
    public void GetParameters(Span<double> values) => inner.GetParameters(values);
    public void SetParameters(ReadOnlySpan<double> values) { long a = Alloc; SetParams.Start(); inner.SetParameters(values); SetParams.Stop(); InnerAlloc += Alloc - a; }
    public void GetBounds(Span<double> lower, Span<double> upper) => inner.GetBounds(lower, upper);
    public void GetMaxSteps(Span<double> maxSteps) => inner.GetMaxSteps(maxSteps);
    public double LogPrior() => inner.LogPrior();
    public void RenderModel(int image, Span<float> model) { long a = Alloc; Render.Start(); inner.RenderModel(image, model); Render.Stop(); Renders++; InnerAlloc += Alloc - a; }
    public void GetDerivatives(List<DerivativePatch>[] perParameter) { long a = Alloc; Derivs.Start(); inner.GetDerivatives(perParameter); Derivs.Stop(); InnerAlloc += Alloc - a; }
}

/// <summary>
/// The optimizer's own kernels on the timing recipe's problem at its start point: building
/// the weighted Jacobian, and LSQR with the one-pass product (band by band) against the
/// two-pass composition of the per-column products (the pre-fusion path). Each timing is
/// the minimum over repetitions, so a busy machine inflates it less than a single fit.
/// </summary>
public sealed class FitKernelBench : IBenchmark
{
    public string Name => "fit-kernels";

    public string Description => "optimizer kernels on the fit recipe (system build, LSQR one-pass vs two-pass), min of 7 (CPU time)";

    /// <summary>Hides the fused product, so LSQR uses the interface's two-pass default.</summary>
    private sealed class TwoPass(JacobianSystem s) : ILinearOperator
    {
        public int Rows => s.Rows;
        public int Columns => s.Columns;
        public void MultiplyAdd(ReadOnlySpan<double> v, Span<double> u) => s.MultiplyAdd(v, u);
        public void MultiplyTransposeAdd(ReadOnlySpan<double> u, Span<double> x) => s.MultiplyTransposeAdd(u, x);
    }

    public void Run(string[] args)
    {
        var bandCounts = args.Length > 0
            ? args[0].Split(',').Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray()
            : [5, 40];
        // The pipeline's default sub-pixel shift (fourier) unless "lanczos3" (the Tractor's) is asked for.
        FitBench.Shift = args.Length > 1 && args[1] == "lanczos3" ? SubpixelShift.Lanczos3 : SubpixelShift.Fourier;
        Console.WriteLine($"PSF sub-pixel shift: {FitBench.Shift}");
        const int Reps = 7;
        Console.WriteLine("| bands | params | rows | stored values | build CPU ms | LSQR its (two-pass / one-pass) | LSQR two-pass CPU ms/it | LSQR one-pass CPU ms/it | speed-up | max rel diff of X |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (int nb in bandCounts)
        {
            var (pm, _, _) = FitBench.MakeProblem(nb);
            int np = pm.ParameterCount;
            var derivs = Enumerable.Range(0, np).Select(_ => new List<DerivativePatch>()).ToArray();
            pm.GetDerivatives(derivs);
            var sys = new JacobianSystem();
            var bproc = Process.GetCurrentProcess();
            double build = double.MaxValue;
            for (int r = 0; r < Reps; r++)
            {
                bproc.Refresh();
                double c0 = bproc.TotalProcessorTime.TotalMilliseconds;
                sys.Build(pm, derivs);
                bproc.Refresh();
                build = Math.Min(build, bproc.TotalProcessorTime.TotalMilliseconds - c0);
            }
            // Right-hand side: χ at the start.
            var rhs = sys.Rhs;
            var model = new float[W(pm) * Hh(pm)];
            for (int n = 0; n < pm.ImageCount; n++)
            {
                pm.RenderModel(n, model);
                var d = pm.Data(n);
                var e = pm.InverseError(n);
                int off = sys.RowOffset(n);
                for (int i = 0; i < model.Length; i++) rhs[off + i] = e[i] != 0 ? (d[i] - model[i]) * e[i] : 0f;
            }
            var b = rhs.ToArray();
            var lsqr = new Lsqr();
            var x1 = new double[np];
            var x2 = new double[np];
            // CPU time of the process (this single thread plus a little runtime work): on a
            // shared, oversubscribed machine it is far steadier than wall time.
            var proc = Process.GetCurrentProcess();
            double Cpu() { proc.Refresh(); return proc.TotalProcessorTime.TotalMilliseconds; }
            double two = double.MaxValue, one = double.MaxValue;
            int its = 0, itsTwo = 0;
            for (int r = 0; r < Reps; r++)
            {
                double c0 = Cpu();
                lsqr.Solve(new TwoPass(sys), b, x1, 2 * np);
                itsTwo = lsqr.Iterations;
                double c1 = Cpu();
                lsqr.Solve(sys, b, x2, 2 * np);
                its = lsqr.Iterations;
                double c2 = Cpu();
                two = Math.Min(two, (c1 - c0) / itsTwo);
                one = Math.Min(one, (c2 - c1) / its);
            }
            // Roofline: one streaming read of the stored values plus a read-modify-write of u,
            // the memory traffic one LSQR iteration cannot avoid.
            double stream = double.MaxValue;
            var vals = sys.Values.ToArray();
            var ubuf = new double[sys.Rows];
            float sink = 0;
            for (int r = 0; r < Reps; r++)
            {
                double c0 = Cpu();
                var acc = System.Runtime.Intrinsics.Vector256<float>.Zero;
                for (int i = 0; i + 8 <= vals.Length; i += 8) acc += System.Runtime.Intrinsics.Vector256.Create(vals, i);
                sink += System.Runtime.Intrinsics.Vector256.Sum(acc);
                VectorKernels.Scale(ubuf, 0.5);
                stream = Math.Min(stream, Cpu() - c0);
            }
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{nb} bands] roofline (read the values once + r/w u): {stream:F2} ms (checksum {sink:G3})"));
            double xmax = x1.Max(Math.Abs), diff = 0;
            for (int j = 0; j < np; j++) diff = Math.Max(diff, Math.Abs(x1[j] - x2[j]) / xmax);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {nb} | {np} | {sys.Rows} | {sys.Values.Length} | {build:F1} | {itsTwo} / {its} | {two:F2} | {one:F2} | {two / one:F1}x | {diff:E1} |"));
        }
    }

    private static int W(PatchModel pm) => pm.ImageWidth(0);

    private static int Hh(PatchModel pm) => pm.ImageHeight(0);
}
