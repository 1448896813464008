using Tract7dt.Science.Detection;
using Xunit;

namespace Tract7dt.Tests.Detection;

/// <summary>
/// The ePSF stage's use of this module with the pipeline's defaults (docs/epsf.md §4.1, §5),
/// against the same steps done with numpy/scipy/SEP 1.2.1 in make_sep_fixtures.py.
/// </summary>
public class CellPipelineGoldenTests
{
    private const double PositionTol = 0.01;   // brief's target (px)
    private const double FluxRelTol = 1e-3;    // brief's target
    private const double MapRelTol = 1e-3;     // brief's target

    [Fact]
    public void Source_mask_background_and_detections_match_the_reference()
    {
        var g = SepGolden.Results.GetProperty("cell");
        const int w = SepGolden.Width, h = SepGolden.Height;
        float[] data = SepGolden.Field;
        byte[] bad = SepGolden.Mask;
        var sigma = new float[data.Length];
        Array.Fill(sigma, (float)SepGolden.Results.GetProperty("noise_sigma").GetDouble());

        // 1. Work mask = bad ∪ dilated(bright): identical to scipy's binary_dilation result.
        var work = new byte[data.Length];
        SourceMask.Build(data, sigma, bad, w, h, g.GetProperty("mask_sigma").GetDouble(), g.GetProperty("dilate").GetInt32(), work);
        Assert.Equal(File.ReadAllBytes(SepGolden.PathOf("cell_workmask.u8")), work);

        // 2. Background with the pipeline's 96-px meshes and 9-mesh filter.
        int bw = g.GetProperty("bw").GetInt32(), fw = g.GetProperty("fw").GetInt32();
        var bkg = Background.Compute(data, w, h, work, bw, bw, fw, fw);
        Assert.Equal(g.GetProperty("globalback").GetDouble(), bkg.GlobalBack, 1e-3);
        Assert.Equal(g.GetProperty("globalrms").GetDouble(), bkg.GlobalRms, 1e-4);
        float[] back = bkg.Back(), expBack = SepGolden.ReadF32("cell_back.f32");
        for (int i = 0; i < back.Length; i++)
            Assert.True(Math.Abs(back[i] - expBack[i]) <= MapRelTol * Math.Abs(expBack[i]), $"back[{i}] {back[i]} vs {expBack[i]}");

        // 3. SEP call on the subtracted cell: thresh 10σ, minarea 25, deblending on.
        bkg.SubtractFrom(data);
        var options = new ExtractOptions { MinArea = g.GetProperty("minarea").GetInt32(), DeblendNThresh = 32, DeblendCont = 0.001 };
        double thresh = g.GetProperty("thresh").GetDouble();

        // 3a. Without cleaning: one to one.
        var raw = Extractor.Extract(data, w, h, thresh, PixelNoise.StdDevMap(sigma), bad, options with { Clean = false });
        var o = g.GetProperty("objects_noclean");
        double[] x = SepGolden.Doubles(o.GetProperty("x")), y = SepGolden.Doubles(o.GetProperty("y"));
        double[] flux = SepGolden.Doubles(o.GetProperty("flux"));
        double[] a = SepGolden.Doubles(o.GetProperty("a")), b = SepGolden.Doubles(o.GetProperty("b"));
        int[] flag = SepGolden.Ints(o.GetProperty("flag"));
        Assert.Equal(x.Length, raw.Count);
        for (int i = 0; i < raw.Count; i++)
        {
            Assert.Equal(flag[i], raw.Flag[i]);
            Assert.True(Math.Abs(raw.X[i] - x[i]) <= PositionTol && Math.Abs(raw.Y[i] - y[i]) <= PositionTol,
                $"object {i}: ({raw.X[i]}, {raw.Y[i]}) vs ({x[i]}, {y[i]})");
            if ((flag[i] & SourceFlags.Merged) != 0) continue; // leftover pixels shared differently (see Extractor remarks)
            Assert.True(Math.Abs(raw.Flux[i] - flux[i]) <= FluxRelTol * Math.Abs(flux[i]), $"object {i}: flux {raw.Flux[i]} vs {flux[i]}");
            Assert.Equal(a[i] / b[i], (double)raw.A[i] / raw.B[i], 1e-3); // the roundness q used for star selection
        }

        // 3b. With cleaning. SEP's per-object cleaning level ("minarea-th brightest pixel")
        // depends on its pixel-list order; ours is the true minarea-th largest (Extractor
        // remarks). On this cell SEP keeps 26 of the 34 objects and we keep 24: we also
        // remove two faint objects near bright stars. So: everything we keep, SEP keeps
        // (same order), and we remove at most two more than SEP.
        var cat = Extractor.Extract(data, w, h, thresh, PixelNoise.StdDevMap(sigma), bad, options);
        var oc = g.GetProperty("objects");
        double[] cx = SepGolden.Doubles(oc.GetProperty("x")), cy = SepGolden.Doubles(oc.GetProperty("y"));
        int next = 0;
        for (int i = 0; i < cat.Count; i++)
        {
            while (next < cx.Length && (Math.Abs(cat.X[i] - cx[next]) > PositionTol || Math.Abs(cat.Y[i] - cy[next]) > PositionTol)) next++;
            Assert.True(next < cx.Length, $"object {i} at ({cat.X[i]}, {cat.Y[i]}) is not in SEP's cleaned list (in order)");
            next++;
        }
        Assert.InRange(cx.Length - cat.Count, 0, 2);
    }
}
