using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Merge;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Xunit;

namespace Tract7dt.Tests.Stages;

public sealed class MergeStageTests(SimulatedInputs sim) : IClassFixture<SimulatedInputs>
{
    /// <summary>WCS pixel→sky after a sky→pixel round trip: the TAN solution is iterative only
    /// with distortion; 1e-9 deg (3.6 µas, ~1e-5 px) covers double rounding by a wide margin,
    /// while the original's crop-margin defect would be off by ~30 px (tens of arcsec).</summary>
    private const double SkyToleranceDeg = 1e-9;

    private (MergeTestWorld World, StageContext Ctx, SourceTable Merged) RunMerge(string name, Action<MergeTestWorld>? tweak = null)
    {
        var w = new MergeTestWorld(sim, name).Build();
        tweak?.Invoke(w);
        var ctx = w.Context();
        new MergeStage(w.FitPlan).Run(ctx);
        return (w, ctx, SourceTableCsv.Read(MergeStage.MergedCatalogPath(w.Layout)));
    }

    [Fact]
    public void Every_base_row_is_kept_in_order_with_input_text_unchanged()
    {
        var (w, _, merged) = RunMerge("rows");
        Assert.Equal(w.BaseTable.RowCount, merged.RowCount);
        foreach (var c in w.BaseTable.Columns)
        {
            if (c.Name.StartsWith("excluded_", StringComparison.Ordinal)) continue;   // recomputed (empty → False)
            for (int i = 0; i < merged.RowCount; i++)
                Assert.Equal(c.FormatCell(i), merged.Text(c.Name, i));
        }
        // All-digit ids keep their leading zeros.
        Assert.Contains(Enumerable.Range(0, merged.RowCount), i => merged.Text("ID", i).StartsWith("000", StringComparison.Ordinal));
        // Base columns first (then excluded_reason), then fit columns; fit_status last.
        var names = merged.ColumnNames.ToList();
        Assert.Equal(w.BaseTable.ColumnNames, names.Take(w.BaseTable.Columns.Count));
        Assert.Equal("excluded_reason", names[w.BaseTable.Columns.Count]);
        Assert.Equal("x_pix_white", names[w.BaseTable.Columns.Count + 1]);
        Assert.Equal(FitStatus.Column, names[^1]);
        // With the zero point on, the final catalogue is ComputeZp's (magnitudes included): a
        // merge alone publishes none, so a run stopped here never leaves one without magnitudes.
        Assert.True(w.Config.Zp.Enabled);
        Assert.False(File.Exists(w.Layout.FinalCatalog));
    }

    [Fact]
    public void Without_the_zero_point_the_merge_publishes_the_final_catalogue()
    {
        var w = new MergeTestWorld(sim, "nozp").Build();
        w.Reconfigure("  enabled: false\n"); // appended under the zp: section; the last value wins
        Assert.False(w.Config.Zp.Enabled);
        new MergeStage(w.FitPlan).Run(w.Context());
        Assert.Equal(File.ReadAllBytes(MergeStage.MergedCatalogPath(w.Layout)), File.ReadAllBytes(w.Layout.FinalCatalog));
        // removed by hand, it comes back from the up-to-date merge
        File.Delete(w.Layout.FinalCatalog);
        new MergeStage(w.FitPlan).Run(w.Context());
        Assert.True(File.Exists(w.Layout.FinalCatalog));
    }

    [Fact]
    public void Exclusions_get_reasons_and_fitted_rows_get_their_patch_values()
    {
        var (w, _, merged) = RunMerge("excl");
        int excluded = 0, fitted = 0;
        for (int i = 0; i < merged.RowCount; i++)
        {
            bool crop = merged.Text("excluded_crop", i) == "True", sat = merged.Text("excluded_saturation", i) == "True";
            Assert.Equal(crop || sat ? "True" : "False", merged.Text("excluded_any", i));
            Assert.Equal(crop && sat ? "crop+saturation" : crop ? "crop" : sat ? "saturation" : "", merged.Text("excluded_reason", i));
            string status = merged.Text(FitStatus.Column, i);
            if (crop || sat)
            {
                excluded++;
                Assert.Equal(FitStatus.Excluded, status);
                Assert.Equal("", merged.Text("FLUX_m400_fit", i));
            }
            else if (w.Owner.TryGetValue(i, out var tag))
            {
                fitted++;
                Assert.Equal(FitStatus.Ok, status);
                Assert.Equal(tag, merged.Text("patch_tag", i));
                Assert.NotEqual("", merged.Text("FLUX_m400_fit", i));
            }
        }
        // Injected Gaia rows had empty flags: they become False, not missing.
        Assert.All(Enumerable.Range(0, merged.RowCount).Where(i => merged.Text("ID", i).StartsWith("gaia_", StringComparison.Ordinal)),
            i => Assert.Equal("False", merged.Text("excluded_crop", i)));
        Assert.True(excluded > 0, "the simulation has crop-excluded sources");
        Assert.True(fitted > 20, "most sources are fitted");
        Assert.True(w.Sink.Has("exclusions: crop="));
    }

    [Fact]
    public void RA_fit_DEC_fit_come_from_the_post_crop_WCS()
    {
        var (w, _, merged) = RunMerge("sky");
        double[] raFit = merged.Numeric("RA_fit"), decFit = merged.Numeric("DEC_fit");
        int checkedRows = 0;
        for (int i = 0; i < merged.RowCount; i++)
        {
            if (merged.Text(FitStatus.Column, i) != FitStatus.Ok) { Assert.True(double.IsNaN(raFit[i])); continue; }
            int t = w.TruthRow(i);
            double raTrue = sim.Truth.Numeric("RA")[t], decTrue = sim.Truth.Numeric("DEC")[t];
            Assert.InRange(Math.Abs(raFit[i] - raTrue) * Math.Cos(decTrue * Math.PI / 180), 0, SkyToleranceDeg);
            Assert.InRange(Math.Abs(decFit[i] - decTrue), 0, SkyToleranceDeg);
            checkedRows++;
        }
        Assert.True(checkedRows > 20);
        Assert.True(w.Sink.Has("Filled RA_fit/DEC_fit from x_pix_white_fit/y_pix_white_fit using WCS"));
    }

    [Fact]
    public void A_failed_patch_is_marked_and_stray_tables_never_enter()
    {
        string? failed = null;
        var (w, _, merged) = RunMerge("fail", world =>
        {
            failed = world.Owner.Values.Distinct().OrderBy(t => t, StringComparer.Ordinal).First();
            File.Delete(world.FitCsv(failed));          // the fit crashed: no table, and RunPatches said so
            Directory.CreateDirectory(Path.GetDirectoryName(world.Layout.RunSummaryCsv)!);
            File.WriteAllText(world.Layout.RunSummaryCsv, $"patch,status,returncode,seconds,runner_log,error\n{failed},fail,1,0.5,,boom\n");
            // A table of another geometry, left from an earlier run, with the first row's ID.
            string strayDir = Path.Combine(world.Layout.TractorOutDir, "r09_c09_pr00_pc00");
            Directory.CreateDirectory(strayDir);
            File.WriteAllText(Path.Combine(strayDir, "r09_c09_pr00_pc00_cat_fit.csv"),
                $"ID,FLUX_m400_fit,bogus_col\n{world.BaseTable.Text("ID", 0)},123.0,x\n");
        });
        Assert.DoesNotContain("bogus_col", merged.ColumnNames);
        int marked = 0;
        foreach (var (row, tag) in w.Owner)
        {
            if (tag != failed) continue;
            Assert.Equal(FitStatus.PatchFailed, merged.Text(FitStatus.Column, row));
            Assert.Equal("", merged.Text("FLUX_m400_fit", row));
            Assert.Equal("", merged.Text("RA_fit", row));
            marked++;
        }
        Assert.True(marked >= 1);
        Assert.True(w.Sink.Has($"patch {failed}: no current fit result"));
        Assert.Equal(w.BaseTable.RowCount, merged.RowCount);
    }

    [Fact]
    public void Stale_is_not_failed_an_out_of_date_fit_stops_the_merge_and_keeps_the_catalog()
    {
        // A good merge first, then a fit setting changes (editing the config and merging is how
        // users iterate): merging now must not write a catalogue with that patch's rows unfitted.
        var (w, _, _) = RunMerge("stale");
        byte[] good = File.ReadAllBytes(MergeStage.MergedCatalogPath(w.Layout));
        string changed = w.Owner.Values.Distinct().OrderBy(t => t, StringComparer.Ordinal).Last();
        w.ChangePlanKey(changed);
        var e = Assert.Throws<Tract7dtException>(() => new MergeStage(w.FitPlan).Run(w.Context()));
        Assert.Equal(ErrorCodes.MergeStaleFits, e.Code);
        Assert.Contains(changed, e.Message);
        Assert.Contains("run-patches", e.Message);
        Assert.Equal(good, File.ReadAllBytes(MergeStage.MergedCatalogPath(w.Layout)));
    }

    [Fact]
    public void Rerun_is_a_no_op_and_zp_settings_do_not_touch_merge()
    {
        var (w, _, _) = RunMerge("rerun");
        var stage = new MergeStage(w.FitPlan);
        string merged = MergeStage.MergedCatalogPath(w.Layout);
        var t0 = File.GetLastWriteTimeUtc(merged);
        Assert.Empty(KeyedStages.Stale(w.Context(), stage.Plan(w.Context()), out _));
        w.Reconfigure("  clip_sigma: 2.5\n");   // appended under the zp: section, which the simulated config ends with
        Assert.Equal(2.5, w.Config.Zp.ClipSigma);
        Assert.Empty(KeyedStages.Stale(w.Context(), stage.Plan(w.Context()), out _));
        stage.Run(w.Context());
        Assert.Equal(t0, File.GetLastWriteTimeUtc(merged));

        // Editing one patch's table (content) makes the merge stale.
        string csv = w.FitCsv(w.Owner.Values.First());
        File.AppendAllText(csv, "");
        Assert.Empty(KeyedStages.Stale(w.Context(), stage.Plan(w.Context()), out _));   // same bytes: still fresh
        File.WriteAllText(csv, File.ReadAllText(csv).Replace("0.0001", "0.0002"));
        Assert.Single(KeyedStages.Stale(w.Context(), stage.Plan(w.Context()), out _));
    }

    [Fact]
    public void Base_without_any_key_column_is_a_coded_error()
    {
        var w = new MergeTestWorld(sim, "nokey").Build();
        File.WriteAllText(w.BaseCatalogPath, "name,x\na,1\n");
        var e = Assert.Throws<Tract7dtException>(() => new MergeStage(w.FitPlan).Run(w.Context()));
        Assert.Equal(ErrorCodes.MergeKeyMissing, e.Code);
        Assert.Contains("Need 'ID' or ('RA','DEC')", e.Message);
    }

    [Fact]
    public void Fit_summary_counts_converged_rows_of_the_final_catalog()
    {
        var w = new MergeTestWorld(sim, "summary");
        string? bad = null;
        w.Build(tag => { bad ??= tag; return tag != bad; });
        var ctx = w.Context();
        new MergeStage(w.FitPlan).Run(ctx);
        var merged = SourceTableCsv.Read(MergeStage.MergedCatalogPath(w.Layout));
        int conv = w.Owner.Count(kv => kv.Value != bad), hit = w.Owner.Count(kv => kv.Value == bad);
        Assert.True(hit > 0);
        Assert.Equal((conv, hit, merged.RowCount), FitSummary.Count(merged));
        FitSummary.Log(ctx);
        Assert.True(w.Sink.Has($"Fit summary: converged={conv}, hit_max_iters={hit}, total={merged.RowCount}"));
    }

    [Fact]
    public void Empty_wcs_fits_leaves_sky_columns_empty()
    {
        var w = new MergeTestWorld(sim, "nowcs", "merge:\n  wcs_fits: \"\"\n").Build();
        new MergeStage(w.FitPlan).Run(w.Context());
        var merged = SourceTableCsv.Read(MergeStage.MergedCatalogPath(w.Layout));
        Assert.All(Enumerable.Range(0, merged.RowCount), i => Assert.Equal("", merged.Text("RA_fit", i)));
        Assert.Contains(Enumerable.Range(0, merged.RowCount), i => merged.Text(FitStatus.Column, i) == FitStatus.Ok);
    }
}
