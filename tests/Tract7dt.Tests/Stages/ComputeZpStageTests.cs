using Tract7dt.Science.Calibration;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Merge;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Xunit;

namespace Tract7dt.Tests.Stages;

public sealed class ComputeZpStageTests(SimulatedInputs sim, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SimulatedInputs>
{
    /// <summary>The brief's bound. The simulated GaiaXP magnitudes carry 0.01 mag rms noise and
    /// the fluxes are the truth's expected values, so the median of ~10 stars is within a few mmag.</summary>
    private const double ZpToleranceMag = 0.01;

    /// <summary>MAG/MAGERR recomputed from the written CSV texts (shortest round-trip doubles): exact up to
    /// a few ulps of a ~20 mag value.</summary>
    private const double FormulaTolerance = 1e-12;

    private static void RunBoth(MergeTestWorld w)
    {
        new MergeStage(w.FitPlan).Run(w.Context());
        new ComputeZpStage().Run(w.Context());
    }

    [Fact]
    public void Zero_points_recover_the_simulated_ones()
    {
        var w = new MergeTestWorld(sim, "zp").Build();
        RunBoth(w);
        var summary = SourceTableCsv.Read(Path.Combine(w.Layout.ZpDir, ComputeZpStage.SummaryFile));
        Assert.Equal(w.Bands.OrderBy(b => b, StringComparer.Ordinal), Enumerable.Range(0, summary.RowCount).Select(i => summary.Text("band", i)));
        for (int i = 0; i < summary.RowCount; i++)
        {
            string band = summary.Text("band", i);
            int t = Enumerable.Range(0, sim.TruthZp.RowCount).Single(k => sim.TruthZp.Text("band", k) == band);
            double expected = sim.TruthZp.Numeric("zp_median_expected")[t];
            output.WriteLine($"{band}: zp_median - expected = {summary.Numeric("zp_median")[i] - expected:F5} (n_kept {summary.Text("n_kept", i)}, MAD {summary.Text("zp_err_mad", i)})");
            Assert.InRange(summary.Numeric("zp_median")[i] - expected, -ZpToleranceMag, ZpToleranceMag);
            Assert.True(summary.Numeric("n_raw")[i] >= 5);
            Assert.Equal(summary.Numeric("n_raw")[i], summary.Numeric("n_kept")[i] + summary.Numeric("n_clipped")[i]);
            Assert.Equal("3.0", summary.Text("clip_sigma", i));
            Assert.True(File.Exists(ComputeZpStage.PlotPath(w.Layout, band)));
            if (Environment.GetEnvironmentVariable("T7D_KEEP_PLOTS") is { Length: > 0 } keep)
                File.Copy(ComputeZpStage.PlotPath(w.Layout, band), Path.Combine(keep, $"zp_vs_mag__{band}.png"), true);
        }
        Assert.True(w.Sink.Has("Updated merged catalog with MAG/MAGERR columns"));
    }

    [Fact]
    public void Magnitudes_follow_the_formulas_and_input_text_survives()
    {
        var w = new MergeTestWorld(sim, "mag").Build();
        RunBoth(w);
        var final = SourceTableCsv.Read(w.Layout.FinalCatalog);
        var merged = SourceTableCsv.Read(MergeStage.MergedCatalogPath(w.Layout));
        var summary = SourceTableCsv.Read(Path.Combine(w.Layout.ZpDir, ComputeZpStage.SummaryFile));
        var sorted = w.Bands.OrderBy(b => b, StringComparer.Ordinal).ToArray();

        // Merge's columns unchanged, cell by cell (IDs with leading zeros included); MAG pairs appended in sorted order.
        Assert.Equal(merged.ColumnNames.Concat(sorted.SelectMany(b => new[] { $"MAG_{b}_fit", $"MAGERR_{b}_fit" })), final.ColumnNames);
        foreach (var c in merged.Columns)
            for (int i = 0; i < merged.RowCount; i++) Assert.Equal(c.FormatCell(i), final.Text(c.Name, i));

        for (int k = 0; k < summary.RowCount; k++)
        {
            string b = summary.Text("band", k);
            double zp = summary.Numeric("zp_median")[k], zpErr = summary.Numeric("zp_err_mad")[k];
            double[] f = final.Numeric($"FLUX_{b}_fit"), e = final.Numeric($"FLUXERR_{b}_fit");
            double[] mag = final.Numeric($"MAG_{b}_fit"), magErr = final.Numeric($"MAGERR_{b}_fit");
            int withMag = 0;
            for (int i = 0; i < final.RowCount; i++)
            {
                if (!(f[i] > 0)) { Assert.True(double.IsNaN(mag[i])); Assert.True(double.IsNaN(magErr[i])); continue; }
                Assert.Equal(zp - 2.5 * Math.Log10(f[i]), mag[i], FormulaTolerance);
                double rel = 2.5 / Math.Log(10) * e[i] / f[i];
                Assert.Equal(Math.Sqrt(rel * rel + zpErr * zpErr), magErr[i], FormulaTolerance);
                withMag++;
            }
            Assert.True(withMag > 20);
        }

        // Calibrated magnitudes of Gaia stars agree with their GaiaXP magnitudes (0.01 mag noise + ZP error).
        var gaia = GaiaXpCatalog.Read(Path.Combine(sim.Dir, "gaiaxp_synphot.csv"));
        string b0 = sorted[0];
        double[] gm = gaia.Mag(b0)!, m0 = final.Numeric($"MAG_{b0}_fit");
        var byId = Enumerable.Range(0, gaia.Count).ToDictionary(r => gaia.SourceId![r]);
        int n = 0;
        for (int i = 0; i < final.RowCount; i++)
        {
            string g = final.Text("gaia_source_id", i);
            if (g.Length == 0 || double.IsNaN(m0[i])) continue;
            Assert.InRange(m0[i] - gm[byId[g]], -0.05, 0.05);
            n++;
        }
        Assert.True(n >= 5);
    }

    [Fact]
    public void Clip_sigma_change_reruns_only_ComputeZp_and_never_compounds()
    {
        var w = new MergeTestWorld(sim, "rerun").Build();
        RunBoth(w);
        var merge = new MergeStage(w.FitPlan);
        var zp = new ComputeZpStage();
        string mergedPath = MergeStage.MergedCatalogPath(w.Layout);
        var mergedTime = File.GetLastWriteTimeUtc(mergedPath);
        var finalBefore = File.ReadAllBytes(w.Layout.FinalCatalog);

        // Nothing changed: both up to date, nothing rewritten.
        Assert.Empty(KeyedStages.Stale(w.Context(), merge.Plan(w.Context()), out _));
        Assert.Empty(KeyedStages.Stale(w.Context(), zp.Plan(w.Context()), out _));

        w.Reconfigure("  clip_sigma: 1.0\n");
        Assert.Empty(KeyedStages.Stale(w.Context(), merge.Plan(w.Context()), out _));
        // the numbers and, as they read the numbers' key, the plots
        Assert.Equal(["all", ComputeZpStage.PicturesItemId], KeyedStages.Stale(w.Context(), zp.Plan(w.Context()), out _).Select(i => i.Id));
        merge.Run(w.Context());
        zp.Run(w.Context());
        Assert.Equal(mergedTime, File.GetLastWriteTimeUtc(mergedPath));
        var final = SourceTableCsv.Read(w.Layout.FinalCatalog);
        Assert.Equal(w.Bands.Length, final.ColumnNames.Count(c => c.StartsWith("MAG_", StringComparison.Ordinal)));
        var summary = SourceTableCsv.Read(Path.Combine(w.Layout.ZpDir, ComputeZpStage.SummaryFile));
        Assert.All(Enumerable.Range(0, summary.RowCount), i => Assert.Equal("1.0", summary.Text("clip_sigma", i)));

        // Back to 3.0: the same bytes as the first run (ComputeZp starts from Merge's output every time).
        w.Reconfigure("  clip_sigma: 3.0\n");
        zp.Run(w.Context());
        Assert.Equal(finalBefore, File.ReadAllBytes(w.Layout.FinalCatalog));
    }

    [Fact]
    public void Non_converged_stars_are_left_out_and_counted()
    {
        MergeTestWorld? w = null;
        string? bad = null;
        w = new MergeTestWorld(sim, "nonconv");
        w.Build(tag => { bad ??= tag; return tag != bad; });
        // The first patch in list order is not converged; count its Gaia stars.
        RunBoth(w);
        var merged = SourceTableCsv.Read(MergeStage.MergedCatalogPath(w.Layout));
        int expectedNonConv = Enumerable.Range(0, merged.RowCount)
            .Count(i => merged.Text("patch_tag", i) == bad && merged.Text("gaia_source_id", i).Length > 0);
        var summary = SourceTableCsv.Read(Path.Combine(w.Layout.ZpDir, ComputeZpStage.SummaryFile));
        var perObject = SourceTableCsv.Read(Path.Combine(w.Layout.ZpDir, ComputeZpStage.PerObjectFile));
        Assert.All(Enumerable.Range(0, summary.RowCount), i => Assert.Equal(expectedNonConv, (int)summary.Numeric("n_nonconverged")[i]));
        var badIds = Enumerable.Range(0, merged.RowCount).Where(i => merged.Text("patch_tag", i) == bad)
            .Select(i => merged.Text("gaia_source_id", i)).Where(g => g.Length > 0).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, perObject.RowCount), i => badIds.Contains(perObject.Text("gaia_source_id", i)));
    }

    [Fact]
    public void Missing_merged_catalog_is_a_coded_error()
    {
        var w = new MergeTestWorld(sim, "nomerge").Build();
        var e = Assert.Throws<Tract7dtException>(() => new ComputeZpStage().Run(w.Context()));
        Assert.Equal(ErrorCodes.ZpMergedCatalogMissing, e.Code);
        Assert.Contains("Run 'merge' first", e.Message);
    }

    [Fact]
    public void Single_band_mode_uses_per_band_convergence()
    {
        // Three Gaia stars; band g: star 3 not converged in g. Fluxes give zp = 25 exactly for stars 1, 2.
        var merged = SourceTableCsv.Read(new StringReader(
            "ID,gaia_source_id,FLUX_g_fit,FLUXERR_g_fit,opt_converged_g\n" +
            "1,100,100.0,1.0,True\n2,200,1000.0,10.0,True\n3,300,5.0,1.0,False\n4,,50.0,1.0,True\n"), "test");
        var ids = new[] { "100", "200", "300" };
        var mag = new[] { 20.0, 17.5, 10.0 };
        var pass = ZpCalibration.Compute(merged, ids, b => b == "g" ? mag : null, 3.0, 10, Tract7dt.Science.Logging.Log.Null);
        var r = Assert.Single(pass.Results);
        Assert.Equal(2, r.Used.Count);
        Assert.Single(r.NonConverged);
        Assert.Equal(25.0, r.ZpMedian, 12);
        var t = ZpCalibration.WithMagnitudes(merged, pass);
        Assert.Equal(25.0 - 2.5 * Math.Log10(50.0), t.Numeric("MAG_g_fit")[3], 12);
        // σ_ZP = 0 here (both kept stars give exactly 25), so MAGERR is the flux term alone.
        Assert.Equal(0.0, r.ZpErrMad, 12);
        Assert.Equal(ZeroPoint.K * 1.0 / 50.0, t.Numeric("MAGERR_g_fit")[3], 12);
    }

    [Fact]
    public void Reference_magnitude_error_keeps_one_bright_star_from_setting_the_zero_point()
    {
        // Five stars with zp = 25 and one much brighter whose Gaia magnitude is 0.03 mag off:
        // photometric errors alone give it ~1e4 times the weight of the others and the weighted
        // median is its value; with 0.01 mag of reference error per star it is one vote of six.
        var rows = new System.Text.StringBuilder("ID,gaia_source_id,FLUX_g_fit,FLUXERR_g_fit\n");
        var ids = new List<string>();
        var mag = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            double f = 1000 * (i + 1);
            rows.Append(System.FormattableString.Invariant($"{i},{100 + i},{f},{0.01 * f}\n"));
            ids.Add((100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
            mag.Add(25 - 2.5 * Math.Log10(f));
        }
        rows.Append("9,999,1000000.0,10.0\n");
        ids.Add("999");
        mag.Add(25 - 2.5 * Math.Log10(1e6) + 0.03);
        var merged = SourceTableCsv.Read(new StringReader(rows.ToString()), "test");
        var m = mag.ToArray();
        var original = Assert.Single(ZpCalibration.Compute(merged, ids, b => b == "g" ? m : null, 3.0, 10,
            Tract7dt.Science.Logging.Log.Null, refMagErr: 0).Results);
        Assert.Equal(25.03, original.ZpMedian, 9);
        var ours = Assert.Single(ZpCalibration.Compute(merged, ids, b => b == "g" ? m : null, 3.0, 10,
            Tract7dt.Science.Logging.Log.Null, refMagErr: 0.01).Results);
        Assert.Equal(25.0, ours.ZpMedian, 9);
    }
}
