using Tract7dt.Science.Fitting.Optimization;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Optimization;

/// <summary>
/// The per-source block-Jacobi preconditioning of LSQR: the same least-squares step as the
/// reference's column scaling alone, in fewer iterations.
/// </summary>
public class BlockPreconditionerTests(ITestOutputHelper output)
{
    /// <summary>Twelve blobs on five images (bands): each source's position is shared by its five fluxes.</summary>
    private static BlobProblem Crowd()
    {
        const int bands = 5;
        var p = new BlobProblem(64, 64, bands, sigma: 1.8);
        var rng = new Random(3);
        for (int i = 0; i < 12; i++)
            p.AddSource(10 + 44 * rng.NextDouble(), 10 + 44 * rng.NextDouble(),
                Enumerable.Range(0, bands).Select(_ => 400 + 3000 * rng.NextDouble()).ToArray());
        p.Simulate(9, Enumerable.Repeat(1.0, bands).ToArray());
        foreach (var s in p.Src) { s[0] += 0.3; s[1] -= 0.2; for (int q = 2; q < s.Length; q++) s[q] *= 1.2; }
        return p;
    }

    /// <summary>
    /// Exp galaxies and stars through a pixelized PSF in three bands, started off in position,
    /// flux and size: a galaxy's flux and size, and every band's flux with the shared position,
    /// are the correlations the blocks take out.
    /// </summary>
    private static Tract7dt.Science.Fitting.PatchModel Galaxies()
    {
        const int w = 90, h = 90;
        string[] bands = ["g", "r", "i"];
        var stamp = new float[25 * 25];
        for (int y = 0; y < 25; y++)
            for (int x = 0; x < 25; x++)
                stamp[y * 25 + x] = (float)Math.Pow(1 + ((x - 12) * (x - 12) + (y - 12) * (y - 12)) / 9.0, -2.5);
        float total = stamp.Sum();
        for (int i = 0; i < stamp.Length; i++) stamp[i] /= total;
        var psf = new Tract7dt.Science.Psf.Models.PixelizedPsf(stamp, 25, 25);
        var rng = new Random(11);
        var truth = new List<Tract7dt.Science.Fitting.FitSource>();
        var start = new List<Tract7dt.Science.Fitting.FitSource>();
        for (int i = 0; i < 10; i++)
        {
            double x = 15 + 60 * rng.NextDouble(), y = 15 + 60 * rng.NextDouble();
            var f = bands.ToDictionary(b => b, _ => 2000 + 8000 * rng.NextDouble());
            var f0 = f.ToDictionary(kv => kv.Key, kv => kv.Value * 1.15);
            if (i < 6)
            {
                double re = 1.5 + 2 * rng.NextDouble(), ab = 0.5 + 0.4 * rng.NextDouble(), phi = 180 * rng.NextDouble();
                truth.Add(new(Tract7dt.Science.Fitting.SourceType.Exp, x, y, f, Tract7dt.Science.Fitting.Profiles.EllipseESoft.FromRAbPhi(re, ab, phi)));
                start.Add(new(Tract7dt.Science.Fitting.SourceType.Exp, x + 0.3, y - 0.2, f0, Tract7dt.Science.Fitting.Profiles.EllipseESoft.FromRAbPhi(re * 1.2, ab, phi)));
            }
            else
            {
                truth.Add(new(Tract7dt.Science.Fitting.SourceType.Point, x, y, f));
                start.Add(new(Tract7dt.Science.Fitting.SourceType.Point, x + 0.3, y - 0.2, f0));
            }
        }
        var ones = Enumerable.Repeat(1f, w * h).ToArray();
        var images = bands.Select(b => new Tract7dt.Science.Fitting.FitImage(b, new float[w * h], ones, w, h, psf)).ToArray();
        var tm = new Tract7dt.Science.Fitting.PatchModel(images, truth);
        var noise = new Random(12);
        var data = new float[images.Length][];
        for (int n = 0; n < images.Length; n++)
        {
            data[n] = new float[w * h];
            tm.RenderModel(n, data[n]);
            for (int i = 0; i < data[n].Length; i++)
                data[n][i] += (float)(Math.Sqrt(-2 * Math.Log(1 - noise.NextDouble())) * Math.Cos(2 * Math.PI * noise.NextDouble()));
        }
        var fitImages = bands.Select((b, n) => new Tract7dt.Science.Fitting.FitImage(b, data[n], ones, w, h, psf)).ToArray();
        return new Tract7dt.Science.Fitting.PatchModel(fitImages, start);
    }

    [Fact]
    public void The_step_is_the_reference_step_in_fewer_iterations()
    {
        var ours = new ConstrainedOptimizer();
        var reference = new ConstrainedOptimizer { ReferencePreconditioning = true, ReferenceLineSearch = true };
        var a = ours.Step(Galaxies());
        var b = reference.Step(Galaxies());
        output.WriteLine($"LSQR iterations: block-preconditioned {a.LsqrIterations}, column scaling {b.LsqrIterations}");
        Assert.True(a.LsqrIterations < b.LsqrIterations, $"{a.LsqrIterations} vs {b.LsqrIterations}");
        double scale = b.Direction.Max(Math.Abs);
        for (int j = 0; j < a.Direction.Length; j++)
            Assert.True(Math.Abs(a.Direction[j] - b.Direction[j]) <= 1e-4 * Math.Abs(b.Direction[j]) + 1e-6 * scale,
                $"parameter {j}: {a.Direction[j]} vs {b.Direction[j]}");
    }

    [Fact]
    public void Each_source_block_of_the_preconditioned_matrix_is_orthonormal()
    {
        var problem = Crowd();
        int np = problem.ParameterCount;
        var derivs = Enumerable.Range(0, np).Select(_ => new List<Tract7dt.Science.Fitting.DerivativePatch>()).ToArray();
        problem.GetDerivatives(derivs);
        var sys = new JacobianSystem();
        sys.Build(problem, derivs);
        var groups = Enumerable.Range(0, np).Select(j => j < problem.ImageCount ? -1 : (j - problem.ImageCount) / (2 + problem.ImageCount)).ToArray();
        var pre = new BlockPreconditioner(sys);
        pre.Build(groups);
        // Columns of A·P for source 0's block: A·P·e_j.
        var cols = Enumerable.Range(problem.ImageCount, 2 + problem.ImageCount).ToArray();
        var ap = cols.Select(j =>
        {
            var e = new double[np]; e[j] = 1;
            var u = new double[sys.Rows];
            pre.MultiplyAdd(e, u);
            return u;
        }).ToArray();
        for (int r = 0; r < cols.Length; r++)
            for (int c = 0; c <= r; c++)
            {
                double dot = 0;
                for (int i = 0; i < sys.Rows; i++) dot += ap[r][i] * ap[c][i];
                Assert.Equal(r == c ? 1.0 : 0.0, dot, 6);
            }
    }
}
