// Forward-model speed: the patch of the Tractor timing recipe (golden/tractor/README.md,
// "timing"): 300×300 px, 70 stars + 15 Exp + 15 Dev, 25×25 pixelized Moffat PSF.
// Every timed call sees new parameters (two parameter vectors alternate), so every
// unit-flux patch is re-rendered: this is the cost the optimizer pays per line-search
// candidate (render) and per iteration (derivatives).
//
// Measured on the shared 2-core EPYC (load average 5–8 from other engineers' builds, so
// single runs vary by up to 2×); best of two runs each, `render 2` (2 s per row), Release.
//
// operation                             bands   before ms   after ms  speed-up   before KB  after KB
// render, new parameters                    1       6.79       1.63      4.2×        3074       405
// render, same parameters (cached)          1       0.060      0.049      —             0         0
// derivatives, new parameters               1      43.8        7.68      5.7×       15734      3042
// render, new parameters                    5      50.9        1.59     32×         15338       398
// derivatives, new parameters               5     220         12.3      18×         74671      9190
// one Exp galaxy, re 3 (Fourier, sz 64)     1       0.290      0.036     8.1×          89         6
// one Dev galaxy, re 3 (Fourier, sz 64)     1       0.374      0.046     8.1×          94        10
// one Dev galaxy, mask variant              1       0.391      0.047     8.3×          94        10
// one star (Lanczos shift of the stamp)     1       0.010      0.002     ~5×            4.9       2.5
// EM fit 25×25 stamp, 9 components          1      97.2       14.8       6.6×          60        64
//
// "before" = main at 7803f7e; "after" = wip/perf. The 5-band rows gain most because the
// recipe's bands share one PSF object and geometry, so PatchModel renders each source once
// per render class (bands with their own ePSFs pay per band: ~1.6 ms per band per render).
// What remains allocated per call is the output: each re-rendered unit-flux patch (render)
// and each derivative patch handed to the optimizer (derivatives).

using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Bench;

/// <summary>Model render and derivative cost of one realistic patch, 1 and 5 bands.</summary>
public sealed class RenderBench : IBenchmark
{
    public string Name => "render";
    public string Description => "forward model: full render and all derivatives of a 300² patch (70 stars, 30 galaxies), 1 and 5 bands";

    private const int Size = 300, NStar = 70, NExp = 15, NDev = 15;

    public void Run(string[] args)
    {
        var ci = CultureInfo.InvariantCulture;
        double budget = args.Length > 0 ? double.Parse(args[0], ci) : 1.5; // seconds per row
        Console.WriteLine(string.Create(ci, $"{"operation",-36}{"bands",6}{"ms/call",12}{"ms/band",10}{"KB/call",12}{"calls",8}"));
        foreach (int nb in new[] { 1, 5 })
        {
            var (model, a, b) = Build(nb);
            var buf = new float[Size * Size];
            var lists = Enumerable.Range(0, model.ParameterCount).Select(_ => new List<DerivativePatch>()).ToArray();
            int flip = 0;
            void Next() { model.SetParameters((flip++ & 1) == 0 ? a : b); }
            void Render() { for (int k = 0; k < model.ImageCount; k++) model.RenderModel(k, buf); }
            Row("render, new parameters", nb, budget, () => { Next(); Render(); });
            Row("render, same parameters (cached)", nb, budget, Render);
            Row("derivatives, new parameters", nb, budget, () =>
            {
                Next();
                foreach (var l in lists) l.Clear();
                model.GetDerivatives(lists);
            });
        }
        var pix = new PixelizedPsf(new MoffatPsf(4.0, 3.5, 12).Pixelized.Values, 25, 25);
        var shape = EllipseESoft.FromRAbPhi(3.0, 0.6, 30);
        var cov = shape.UnitPixelCovariance(Matrix2.Identity);
        int it = 0;
        double J() => 0.01 * (it++ % 97); // sub-pixel phases vary, the box stays put
        Row("one Exp galaxy, re 3 (Fourier, sz 64)", 1, budget, () =>
            GalaxyRenderer.Render(ProfileMixture.Exp, cov, 4 * 3.0, 150.3 + J(), 140.6, Size, Size, pix));
        Row("one Dev galaxy, re 3 (Fourier, sz 64)", 1, budget, () =>
            GalaxyRenderer.Render(ProfileMixture.Dev, cov, 8 * 3.0, 150.3 + J(), 140.6, Size, Size, pix));
        Row("one Dev galaxy, mask variant", 1, budget, () =>
            GalaxyRenderer.RenderOnMask(ProfileMixture.Dev, cov, 150.3 + J(), 140.6, new PixelBox(X0: 126, X1: 177, Y0: 116, Y1: 167), pix));
        Row("one star (Lanczos shift of the stamp)", 1, budget, () => pix.RenderPoint(150.3 + J(), 140.6, Size, Size));
        var stamp = pix;
        Row("EM fit 25×25 stamp, 9 components", 1, budget,
            () => GaussianMixturePsf.FromStamp(stamp.Values, stamp.Width, stamp.Height, 9));
    }

    private static void Row(string name, int bands, double budget, Action op)
    {
        for (int i = 0; i < 2; i++) op(); // JIT and caches
        var sw = Stopwatch.StartNew();
        long b0 = GC.GetAllocatedBytesForCurrentThread();
        int calls = 0;
        do { op(); calls++; } while (sw.Elapsed.TotalSeconds < budget);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - b0;
        double ms = sw.Elapsed.TotalMilliseconds / calls;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-36}{bands,6}{ms,12:F3}{ms / bands,10:F3}{bytes / 1024.0 / calls,12:F1}{calls,8}"));
    }

    /// <summary>
    /// The scene (seeded; positions, fluxes, shapes drawn like the Tractor recipe but with
    /// .NET's generator) and two parameter vectors that differ in every source's geometry.
    /// </summary>
    internal static (PatchModel Model, double[] A, double[] B) Build(int nbands)
    {
        var rng = new Random(20260501);
        double U(double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
        var moffat = new MoffatPsf(4.0, 3.5, 12);                        // 25×25 stamp
        var psf = new PixelizedPsf(moffat.Pixelized.Values, 25, 25);    // radius hypot(12.5, 12.5)
        var images = new List<FitImage>();
        for (int k = 0; k < nbands; k++)
        {
            var e = new float[Size * Size]; Array.Fill(e, 1f);
            images.Add(new FitImage("b" + k.ToString("00", CultureInfo.InvariantCulture), new float[Size * Size], e, Size, Size, psf));
        }
        var sources = new List<FitSource>();
        for (int i = 0; i < NStar + NExp + NDev; i++)
        {
            double x = U(10, 290), y = U(10, 290);
            bool gal = i >= NStar;
            double f = Math.Exp(gal ? U(Math.Log(2000), Math.Log(30000)) : U(Math.Log(500), Math.Log(20000)));
            var fl = new Dictionary<string, double>();
            for (int k = 0; k < nbands; k++) fl["b" + k.ToString("00", CultureInfo.InvariantCulture)] = f * U(0.7, 1.3);
            var type = !gal ? SourceType.Point : i < NStar + NExp ? SourceType.Exp : SourceType.Dev;
            var shape = gal ? EllipseESoft.FromRAbPhi(U(1.5, 4.0), U(0.4, 1.0), U(0, 180)) : default;
            sources.Add(new FitSource(type, x, y, fl, shape));
        }
        var model = new PatchModel(images, sources);
        var a = new double[model.ParameterCount];
        model.GetParameters(a);
        var b = (double[])a.Clone();
        for (int j = 0; j < b.Length; j++)
        {
            var kind = model.Parameter(j).Kind;
            if (kind is ParameterKind.PositionX or ParameterKind.PositionY) b[j] += U(-0.2, 0.2);
            else if (kind is ParameterKind.LogRe or ParameterKind.Ee1 or ParameterKind.Ee2) b[j] += U(-0.02, 0.02);
        }
        return (model, a, b);
    }
}
