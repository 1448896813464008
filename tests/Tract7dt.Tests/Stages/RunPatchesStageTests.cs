using Tract7dt.Science.Catalog;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Xunit;

namespace Tract7dt.Tests.Stages;

[Collection("patchstage")]
public sealed class RunPatchesStageTests(PatchStageWorld world)
{
    /// <summary>Diagnostics off and a low dpi keep these tests fast; one test turns them on.</summary>
    private const string Fast = "patch_run.no_cutouts: true\npatch_run.no_patch_overview: true\nplotting.dpi: 40\npatch_run.n_opt_iters: 4";

    private static StageContext Prepared(PatchStageWorld world, string name, string extra)
    {
        var ctx = world.NewContext(name, extra);
        new BuildPatchesStage().Run(ctx);
        new BuildPatchInputsStage().Run(ctx);
        return ctx;
    }

    [Fact]
    public void Every_patch_is_fitted_with_the_spec_columns_and_a_rerun_fits_nothing()
    {
        var ctx = Prepared(world, "rp", Fast);
        var stage = new RunPatchesStage();
        stage.Run(ctx);
        var tags = PayloadList.TryRead(ctx.Layout.PayloadList)!;
        var summary = SourceTableCsv.Read(ctx.Layout.RunSummaryCsv);
        Assert.Equal(tags, Enumerable.Range(0, summary.RowCount).Select(i => summary.Text("patch", i)));
        Assert.All(Enumerable.Range(0, summary.RowCount), i => Assert.Equal("ok", summary.Text("status", i)));

        foreach (var tag in tags)
        {
            var payload = PatchPayload.Read(PatchPayload.FitsPath(ctx.Layout.PatchInputsDir, tag));
            var fit = SourceTableCsv.Read(ctx.Layout.PatchFitCsv(tag));
            // the owned rows are reported; the halo and saturated rows after them are only modelled
            Assert.Equal(PatchRunner.OwnedRows(payload.Catalog, tag), fit.RowCount);
            var names = fit.ColumnNames.ToList();
            // Catalogue columns first, unchanged, then the audit and fit columns in the order of docs/outputs.md §10.
            Assert.Equal(payload.Catalog.ColumnNames, names.Take(payload.Catalog.Columns.Count));
            for (int i = 0; i < fit.RowCount; i++) Assert.Equal(payload.Catalog.Text("ID", i), fit.Text("ID", i));
            int at = names.IndexOf("patch_tag");
            Assert.Equal(["patch_tag", "epsf_tag", "psf_min_epsf_nstars_for_use", "psf_used_epsf_band_count", "psf_fallback_band_count",
                "psf_low_star_band_count", "psf_fallback_bands", "psf_low_star_bands", "psf_frozen_bands_for_optimizer",
                "psf_fallback_reasons_json", "opt_niters", "opt_converged", "opt_hit_max_iters", "opt_last_dlnp", "opt_converged_patch",
                "x_pix_patch_fit", "y_pix_patch_fit", "x_pix_white_fit", "y_pix_white_fit", "RA_fit", "DEC_fit", "stype_fit"],
                names.Skip(at).Take(22));
            Assert.Contains("FLUX_m550_fit", names);
            Assert.Contains("FLUXERR_m700_fit", names);
            if (fit.RowCount == 0) continue;
            // No ePSF was built: every band falls back to the Moffat PSF with the header seeing.
            Assert.Equal("m400,m550,m700", fit.Text("psf_fallback_bands", 0));
            Assert.Equal("{\"m400\": \"missing ePSF\", \"m550\": \"missing ePSF\", \"m700\": \"missing ePSF\"}", fit.Text("psf_fallback_reasons_json", 0));
            var xw = fit.Numeric("x_pix_white_fit");
            var xp = fit.Numeric("x_pix_patch_fit");
            for (int i = 0; i < fit.RowCount; i++) Assert.Equal(xp[i] + payload.Patch.Roi.X0, xw[i]);
            var meta = File.ReadAllText(Path.Join(ctx.Layout.PatchOutDir(tag), "meta.json"));
            Assert.Contains("\"psf_audit\": {", meta);
            Assert.Contains("\"psf_model\": \"moffat\"", meta);
            Assert.Contains("Done patch run: " + tag, File.ReadAllText(Path.Join(ctx.Layout.PatchOutDir(tag), tag + ".log")));
        }

        // Up to date: the rerun fits nothing and leaves the CSVs and the summary untouched.
        var stamp = File.GetLastWriteTimeUtc(ctx.Layout.PatchFitCsv(tags[0]));
        var summaryBytes = File.ReadAllBytes(ctx.Layout.RunSummaryCsv);
        Assert.Empty(KeyedStages.Stale(ctx, stage.Plan(ctx), out _));
        new RunPatchesStage().Run(ctx);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(ctx.Layout.PatchFitCsv(tags[0])));
        Assert.Equal(summaryBytes, File.ReadAllBytes(ctx.Layout.RunSummaryCsv));

        // One refitted patch: the summary is rewritten; the others are "skipped" and keep the
        // fit time they took when they were made, not 0.
        File.Delete(ctx.Layout.PatchFitCsv(tags[0]));
        new RunPatchesStage().Run(ctx);
        var again = SourceTableCsv.Read(ctx.Layout.RunSummaryCsv);
        Assert.Equal("ok", again.Text("status", 0));
        Assert.All(Enumerable.Range(1, again.RowCount - 1), i => Assert.Equal("skipped", again.Text("status", i)));
        Assert.Equal(summary.Numeric("sec").Skip(1), again.Numeric("sec").Skip(1));
        Assert.Contains(again.Numeric("sec"), v => v > 0);

        // A fit setting makes every patch stale; a zero-point setting none.
        var ctxIters = world.NewContext("rp", Fast + "\npatch_run.n_opt_iters: 7", fresh: false);
        Assert.Equal(tags.Count + 1, KeyedStages.Stale(ctxIters, new RunPatchesStage().Plan(ctxIters), out _).Count); // and the summary
        var ctxZp = world.NewContext("rp", Fast + "\nzp.clip_sigma: 2.5", fresh: false);
        new BuildPatchesStage().Run(ctxZp);
        new BuildPatchInputsStage().Run(ctxZp);
        Assert.Empty(KeyedStages.Stale(ctxZp, new RunPatchesStage().Plan(ctxZp), out _));
    }

    [Fact]
    public void Outputs_do_not_depend_on_the_number_of_workers()
    {
        var one = Prepared(world, "w1", Fast + "\npatch_run.max_workers: 1");
        var two = Prepared(world, "w2", Fast + "\npatch_run.max_workers: 2");
        new RunPatchesStage().Run(one);
        new RunPatchesStage().Run(two);
        foreach (var tag in PayloadList.TryRead(one.Layout.PayloadList)!)
        {
            Assert.Equal(File.ReadAllBytes(one.Layout.PatchFitCsv(tag)), File.ReadAllBytes(two.Layout.PatchFitCsv(tag)));
            Assert.Equal(File.ReadAllText(Path.Join(one.Layout.PatchOutDir(tag), "meta.json")).Replace("work_w1", "work_w2"),
                File.ReadAllText(Path.Join(two.Layout.PatchOutDir(tag), "meta.json")));
        }
    }

    [Fact]
    public void A_corrupt_payload_fails_alone_and_is_listed_in_the_summary()
    {
        var ctx = Prepared(world, "bad", Fast);
        var tags = PayloadList.TryRead(ctx.Layout.PayloadList)!;
        string broken = tags[1];
        File.WriteAllBytes(PatchPayload.FitsPath(ctx.Layout.PatchInputsDir, broken), new byte[100]);
        new RunPatchesStage().Run(ctx);

        var failures = RunPatchesStage.ReadFailures(ctx.Layout);
        var f = Assert.Single(failures);
        Assert.Equal(broken, f.Patch);
        Assert.Contains("T7D303", f.Error);
        Assert.False(File.Exists(ctx.Layout.PatchFitCsv(broken)));
        Assert.Contains("Patch failed", File.ReadAllText(Path.Join(ctx.Layout.PatchOutDir(broken), broken + ".log")));
        Assert.True(File.Exists(f.RunnerLog));
        foreach (var t in tags.Where(t => t != broken)) Assert.True(File.Exists(ctx.Layout.PatchFitCsv(t)));

        // The failed patch has no stamp, so the next run tries it again (and only it, with the summary).
        Assert.Equal([broken], KeyedStages.Stale(ctx, new RunPatchesStage().Plan(ctx), out _).Select(i => i.Id));
        Assert.Equal([broken, RunPatchesStage.SummaryItem], StageRunner.Plan(new RunPatchesStage(), ctx).ToBuild.Select(i => i.Id));
    }

    [Fact]
    public void Single_band_mode_writes_per_band_blocks_and_diagnostics_are_drawn()
    {
        var ctx = Prepared(world, "sb", "patch_run.enable_multi_band_simultaneous_fitting: false\nplotting.dpi: 30\npatch_run.cutout_max_sources: 2\npatch_run.n_opt_iters: 4");
        string tag = PayloadList.TryRead(ctx.Layout.PayloadList)![0];
        var rec = RunPatchesStage.FitOne(ctx, tag);
        Assert.Equal("ok", rec.Status);
        var fit = SourceTableCsv.Read(ctx.Layout.PatchFitCsv(tag));
        var names = fit.ColumnNames.ToList();
        Assert.DoesNotContain("opt_niters", names);
        Assert.DoesNotContain("RA_fit", names);
        int a = names.IndexOf("x_pix_patch_m400_fit"), b = names.IndexOf("x_pix_patch_m550_fit");
        Assert.True(a > names.IndexOf("stype_fit") && b > a);
        Assert.Contains("opt_converged_m700", names);
        string dir = ctx.Layout.PatchOutDir(tag);
        // the fit writes the model; the pictures are drawn from the files by their own stage
        Assert.False(File.Exists(Path.Join(dir, "patch_overview.png")));
        var models = PatchModelImages.Read(PatchModelImages.PathIn(dir));
        Assert.Equal(["m400", "m550", "m700"], models.Keys.Order(StringComparer.Ordinal));
        // each band's model is that band's fit: it is nearer its own band's data than any other band's
        // model (it once was the first band's PSF-check model for every band after the first)
        var payload = PatchPayload.Read(PatchPayload.FitsPath(ctx.Layout.PatchInputsDir, tag));
        foreach (var band in payload.Bands)
        {
            double Misfit(float[] m)
            {
                double s = 0;
                for (int i = 0; i < m.Length; i++) if (float.IsFinite(band.Image[i])) s += Math.Abs(band.Image[i] - m[i]);
                return s;
            }
            double own = Misfit(models[band.Band]);
            foreach (var other in models.Keys.Where(k => k != band.Band))
                Assert.True(own < Misfit(models[other]), $"{band.Band}: its model misfits its data by {own:F0}, {other}'s by {Misfit(models[other]):F0}");
        }
        new PatchDiagnosticsStage().Run(ctx);
        Assert.True(new FileInfo(Path.Join(dir, "patch_overview.png")).Length > 1000);
        Assert.Equal(Math.Min(2, fit.RowCount), Directory.GetFiles(Path.Join(dir, "cutouts"), "src_*.png").Length);

        // FitOne again: up to date, skipped.
        Assert.Equal("skipped", RunPatchesStage.FitOne(ctx, tag).Status);
    }
}
